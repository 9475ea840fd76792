ALTER TABLE domains DROP COLUMN settings_version;
ALTER TABLE domains DROP COLUMN require_two_step;
