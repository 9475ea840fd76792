-- A stolen session is not a lasting key, and smaller defects found from outside (issue 29).
--
-- `sessions.password_confirmed_at`: when the password was last given in this session
-- (signing in, or the Current password step). Creating an API token, and later the
-- second-factor settings and Domain settings, ask for it again when it is older than
-- ten minutes. Sessions opened before this migration have none, so they are asked.
ALTER TABLE sessions ADD COLUMN password_confirmed_at TIMESTAMP;

-- `import_files`: a checked file is named in its Import and Download errors addresses
-- by a random key, never by its id, and ids are never handed out again (AUTOINCREMENT):
-- an old Import form can only ever start the file it was shown for.
CREATE TABLE import_files_keyed (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT NOT NULL UNIQUE,
    actor_id    INTEGER NOT NULL,
    domain_id   INTEGER,
    file_name   TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    content     TEXT NOT NULL,
    checked     TEXT NOT NULL
);
INSERT INTO import_files_keyed (id, key, actor_id, domain_id, file_name, created_at, content, checked)
    SELECT id, lower(hex(randomblob(16))), actor_id, domain_id, file_name, created_at, content, checked
    FROM import_files;
DROP TABLE import_files;
ALTER TABLE import_files_keyed RENAME TO import_files;
CREATE INDEX import_files_age ON import_files (created_at);

-- The most welcome and password-reset messages a domain's users may be sent per day
-- (UTC), and how many were queued on the domain's latest day: one row per domain, whose
-- day only ever moves forward, so a batch whose clock is a little behind cannot open a
-- second allowance for the day before. Over the cap the rest are skipped.
ALTER TABLE domains ADD COLUMN link_mail_per_day INTEGER NOT NULL DEFAULT 1000;
CREATE TABLE link_mail_counts (
    domain_id   INTEGER PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    day         DATE NOT NULL,
    queued      INTEGER NOT NULL
);
