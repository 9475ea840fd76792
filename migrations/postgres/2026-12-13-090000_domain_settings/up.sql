-- Domain settings (SPEC "Domain settings"): whether the domain's Office Managers and
-- above must sign in in two steps, and the version its settings page is saved against.
ALTER TABLE domains ADD COLUMN require_two_step BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE domains ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 1;
