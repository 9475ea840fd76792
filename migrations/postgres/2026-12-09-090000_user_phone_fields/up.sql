-- Three more fields per user (SPEC "Data model"): a time zone (an IANA name, empty for
-- the domain's), a caller ID number and an emergency caller ID (E.164, or empty); and
-- the domain's own time zone, which a user's empty one means.
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN caller_id_number TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN emergency_caller_id TEXT NOT NULL DEFAULT '';
ALTER TABLE domains ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
