-- A stolen session is not a lasting key, and smaller defects found from outside (issue 29).
--
-- `sessions.password_confirmed_at`: when the password was last given in this session
-- (signing in, or the Current password step). Creating an API token, and later the
-- second-factor settings and Domain settings, ask for it again when it is older than
-- ten minutes. Sessions opened before this migration have none, so they are asked.
ALTER TABLE sessions ADD COLUMN password_confirmed_at TIMESTAMP;

-- `import_files`: a checked file is named in its Import and Download errors addresses
-- by a random key, never by its id (a BIGSERIAL here, never handed out twice).
ALTER TABLE import_files ADD COLUMN key TEXT;
UPDATE import_files SET key = md5(random()::text || id::text || clock_timestamp()::text);
ALTER TABLE import_files ALTER COLUMN key SET NOT NULL;
CREATE UNIQUE INDEX import_files_key ON import_files (key);

-- The most welcome and password-reset messages a domain's users may be sent per day
-- (UTC), and how many were queued on the domain's latest day: one row per domain, whose
-- day only ever moves forward, so a batch whose clock is a little behind cannot open a
-- second allowance for the day before. Over the cap the rest are skipped.
ALTER TABLE domains ADD COLUMN link_mail_per_day INTEGER NOT NULL DEFAULT 1000;
CREATE TABLE link_mail_counts (
    domain_id   BIGINT PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    day         DATE NOT NULL,
    queued      INTEGER NOT NULL
);
