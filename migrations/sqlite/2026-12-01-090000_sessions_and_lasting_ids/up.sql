-- Sessions become rows, and ids are never handed out twice.
--
-- SQLite's INTEGER PRIMARY KEY without AUTOINCREMENT gives a new row the highest id
-- plus one, so deleting the newest user (or link, job, message) frees its id for the
-- next insert: a session or link that named the old row would name the new one. With
-- AUTOINCREMENT, sqlite_sequence remembers the highest id ever used. SQLite cannot add
-- AUTOINCREMENT to a table, so users, password_tokens, bulk_jobs and outbox are
-- rebuilt (SQLite's documented twelve-step ALTER TABLE), keeping every row and id.
-- Foreign keys are off while the old tables are dropped, or the drop would cascade.
--
-- Also here, because the rebuilds touch them:
-- * users lose session_epoch: ending a session is deleting its row.
-- * outbox gains the state 'cancelled' (a message to a user who was deleted, reset or
--   given another address before it went out).
-- * the device triggers move on the data version of the device's user's domain as
--   well as of the device's own domain_id (they are the same unless a row is odd).

PRAGMA foreign_keys = OFF;
PRAGMA legacy_alter_table = ON;
BEGIN IMMEDIATE;

DROP TRIGGER domain_version_device_insert;
DROP TRIGGER domain_version_device_update;
DROP TRIGGER domain_version_device_delete;

CREATE TABLE users_rebuilt (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id             INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    extension             TEXT NOT NULL CHECK (length(extension) BETWEEN 2 AND 10),
    first_name            TEXT NOT NULL DEFAULT '',
    last_name             TEXT NOT NULL DEFAULT '',
    email                 TEXT,
    password_hash         TEXT,
    pin_hash              TEXT,
    scope                 INTEGER NOT NULL CHECK (scope BETWEEN 0 AND 9),
    department            TEXT NOT NULL DEFAULT '',
    site                  TEXT NOT NULL DEFAULT '',
    vm_to_email           BOOLEAN NOT NULL DEFAULT FALSE,
    vm_transcription      BOOLEAN NOT NULL DEFAULT FALSE,
    must_change_password  BOOLEAN NOT NULL DEFAULT FALSE,
    is_system             BOOLEAN NOT NULL DEFAULT FALSE,
    created_at            TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at            TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    version               INTEGER NOT NULL DEFAULT 1,
    status                INTEGER NOT NULL GENERATED ALWAYS AS (
        CASE
            WHEN first_name = '' AND last_name = '' THEN 0
            WHEN password_hash IS NULL THEN 1
            ELSE 2
        END) STORED,
    search_text           TEXT NOT NULL GENERATED ALWAYS AS (
        lower(extension || ' ' || first_name || ' ' || last_name || ' ' || coalesce(email, ''))
        ) STORED,
    ext_length            INTEGER NOT NULL GENERATED ALWAYS AS (length(extension)) VIRTUAL,
    UNIQUE (domain_id, extension)
);
INSERT INTO users_rebuilt (id, domain_id, extension, first_name, last_name, email,
    password_hash, pin_hash, scope, department, site, vm_to_email, vm_transcription,
    must_change_password, is_system, created_at, updated_at, version)
SELECT id, domain_id, extension, first_name, last_name, email,
    password_hash, pin_hash, scope, department, site, vm_to_email, vm_transcription,
    must_change_password, is_system, created_at, updated_at, version
FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
-- Ids freed before this migration are known only where the audit trail names them.
DELETE FROM sqlite_sequence WHERE name = 'users';
INSERT INTO sqlite_sequence (name, seq) SELECT 'users', max(
    (SELECT coalesce(max(id), 0) FROM users),
    (SELECT coalesce(max(target_user_id), 0) FROM audit_events),
    (SELECT coalesce(max(actor_id), 0) FROM audit_events));
CREATE INDEX users_by_extension ON users (domain_id, ext_length, extension);
CREATE INDEX users_by_name ON users (domain_id, first_name, last_name, ext_length, extension);
CREATE INDEX users_by_status ON users (domain_id, status, ext_length, extension);

CREATE TRIGGER user_counts_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_counts (domain_id, is_system, status, users)
    VALUES (NEW.domain_id, NEW.is_system, NEW.status, 1)
    ON CONFLICT (domain_id, is_system, status) DO UPDATE SET users = users + 1;
END;
CREATE TRIGGER user_counts_delete AFTER DELETE ON users BEGIN
    UPDATE user_counts SET users = users - 1
    WHERE domain_id = OLD.domain_id AND is_system = OLD.is_system AND status = OLD.status;
END;
CREATE TRIGGER user_counts_update AFTER UPDATE ON users
WHEN OLD.status <> NEW.status OR OLD.is_system <> NEW.is_system OR OLD.domain_id <> NEW.domain_id
BEGIN
    UPDATE user_counts SET users = users - 1
    WHERE domain_id = OLD.domain_id AND is_system = OLD.is_system AND status = OLD.status;
    INSERT INTO user_counts (domain_id, is_system, status, users)
    VALUES (NEW.domain_id, NEW.is_system, NEW.status, 1)
    ON CONFLICT (domain_id, is_system, status) DO UPDATE SET users = users + 1;
END;
CREATE TRIGGER domain_version_user_insert AFTER INSERT ON users BEGIN
    UPDATE domains SET data_version = data_version + 1 WHERE id = NEW.domain_id;
END;
CREATE TRIGGER domain_version_user_update AFTER UPDATE ON users BEGIN
    UPDATE domains SET data_version = data_version + 1
    WHERE id IN (OLD.domain_id, NEW.domain_id);
END;
CREATE TRIGGER domain_version_user_delete AFTER DELETE ON users BEGIN
    UPDATE domains SET data_version = data_version + 1 WHERE id = OLD.domain_id;
END;

-- The Users page counts each user's devices: a device row moves its user's domain on,
-- whatever the device's own domain_id says.
CREATE TRIGGER domain_version_device_insert AFTER INSERT ON devices BEGIN
    UPDATE domains SET data_version = data_version + 1
    WHERE id = NEW.domain_id
       OR id = (SELECT domain_id FROM users WHERE id = NEW.user_id);
END;
CREATE TRIGGER domain_version_device_update AFTER UPDATE ON devices BEGIN
    UPDATE domains SET data_version = data_version + 1
    WHERE id IN (OLD.domain_id, NEW.domain_id)
       OR id IN (SELECT domain_id FROM users WHERE id IN (OLD.user_id, NEW.user_id));
END;
CREATE TRIGGER domain_version_device_delete AFTER DELETE ON devices BEGIN
    UPDATE domains SET data_version = data_version + 1
    WHERE id = OLD.domain_id
       OR id = (SELECT domain_id FROM users WHERE id = OLD.user_id);
END;

CREATE TABLE password_tokens_rebuilt (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('welcome', 'reset')),
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO password_tokens_rebuilt (id, user_id, token_hash, purpose, expires_at, used_at, created_at)
SELECT id, user_id, token_hash, purpose, expires_at, used_at, created_at FROM password_tokens;
DROP TABLE password_tokens;
ALTER TABLE password_tokens_rebuilt RENAME TO password_tokens;
CREATE INDEX password_tokens_user ON password_tokens (user_id);

CREATE TABLE bulk_jobs_rebuilt (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id    INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    actor_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    actor_login  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    options      TEXT NOT NULL DEFAULT '{}',
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'finished')),
    total        INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    started_at   TIMESTAMP,
    finished_at  TIMESTAMP
);
INSERT INTO bulk_jobs_rebuilt (id, domain_id, actor_id, actor_login, kind, options, state,
    total, created_at, started_at, finished_at)
SELECT id, domain_id, actor_id, actor_login, kind, options, state,
    total, created_at, started_at, finished_at FROM bulk_jobs;
DROP TABLE bulk_jobs;
ALTER TABLE bulk_jobs_rebuilt RENAME TO bulk_jobs;
CREATE INDEX bulk_jobs_domain ON bulk_jobs (domain_id, created_at);
CREATE INDEX bulk_jobs_unfinished ON bulk_jobs (state) WHERE state <> 'finished';
CREATE INDEX bulk_jobs_actor ON bulk_jobs (actor_id);

CREATE TABLE outbox_rebuilt (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id        INTEGER REFERENCES domains (id) ON DELETE SET NULL,
    user_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
    recipient        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_error       TEXT,
    created_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    sent_at          TIMESTAMP
);
INSERT INTO outbox_rebuilt (id, domain_id, user_id, recipient, kind, subject, body_text,
    body_html, state, attempts, next_attempt_at, last_error, created_at, sent_at)
SELECT id, domain_id, user_id, recipient, kind, subject, body_text,
    body_html, state, attempts, next_attempt_at, last_error, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_user ON outbox (user_id);

-- A signed-in browser: the cookie carries a random token, this row its SHA-256.
-- Deleting the row (sign out, or the user's deletion, reset or forced reset) ends the
-- session on every instance at once.
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    user_agent    TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

COMMIT;
PRAGMA legacy_alter_table = OFF;
PRAGMA foreign_keys = ON;
