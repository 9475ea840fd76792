-- The whole data model of SPEC section 2 (SQLite). Keep in step with the PostgreSQL
-- migration of the same name: same tables, columns, constraints and indexes.
-- Every tenant table carries domain_id, and its indexes lead with it.

CREATE TABLE resellers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE domains (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL DEFAULT '',
    reseller_id      INTEGER REFERENCES resellers (id),
    portal_security  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX domains_reseller ON domains (reseller_id, name);

-- status and search_text are derived by the database itself, never written by the
-- application. status: 0 Setup Required, 1 Password Required, 2 Active, so that the
-- Users page can filter and sort on it through an index. search_text: what the Users
-- page's Search matches any part of (extension, name, e-mail), in lower case.
CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
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
    session_epoch         INTEGER NOT NULL DEFAULT 0,
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
    UNIQUE (domain_id, extension)
);
-- The Users page sorts extensions as numbers (length, then digits) and pages by keyset
-- on each sort order: extension, name (first, last), status.
CREATE INDEX users_by_extension ON users (domain_id, (length(extension)), extension);
CREATE INDEX users_by_name ON users (domain_id, first_name, last_name, (length(extension)), extension);
CREATE INDEX users_by_status ON users (domain_id, status, (length(extension)), extension);

CREATE TABLE devices (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    mac         TEXT,
    model       TEXT NOT NULL DEFAULT '',
    is_primary  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (domain_id, name)
);
CREATE INDEX devices_user ON devices (user_id);

CREATE TABLE voicemail_messages (
    id            INTEGER PRIMARY KEY,
    domain_id     INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    folder        TEXT NOT NULL CHECK (folder IN ('new', 'saved', 'deleted')),
    caller        TEXT NOT NULL,
    duration_secs INTEGER NOT NULL DEFAULT 0,
    received_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX voicemail_messages_user ON voicemail_messages (user_id);

CREATE TABLE voicemail_greetings (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    is_active   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX voicemail_greetings_user ON voicemail_greetings (user_id);

CREATE TABLE answering_rules (
    id           INTEGER PRIMARY KEY,
    domain_id    INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    time_frame   TEXT NOT NULL,
    action       TEXT NOT NULL,
    destination  TEXT NOT NULL DEFAULT '',
    priority     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX answering_rules_user ON answering_rules (user_id);

-- user_id NULL: a shared contact of the domain, which a reset never touches.
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
    first_name  TEXT NOT NULL DEFAULT '',
    last_name   TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    email       TEXT
);
CREATE INDEX contacts_user ON contacts (user_id);
CREATE INDEX contacts_domain ON contacts (domain_id);

-- user_name is the user's name when the call happened, so that a recycled extension
-- never puts a new person's name on the previous person's calls.
CREATE TABLE call_history (
    id             INTEGER PRIMARY KEY,
    domain_id      INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_name      TEXT NOT NULL DEFAULT '',
    direction      TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'missed')),
    other_party    TEXT NOT NULL,
    started_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    duration_secs  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX call_history_user ON call_history (user_id, started_at);

CREATE TABLE bulk_jobs (
    id           INTEGER PRIMARY KEY,
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
CREATE INDEX bulk_jobs_domain ON bulk_jobs (domain_id, created_at);
CREATE INDEX bulk_jobs_unfinished ON bulk_jobs (state) WHERE state <> 'finished';

-- extension and user_name are kept so an item still reads well after its user is deleted.
CREATE TABLE bulk_job_items (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
    domain_id    INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    extension    TEXT NOT NULL,
    user_name    TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'done', 'failed', 'skipped')),
    reason       TEXT,
    finished_at  TIMESTAMP
);
CREATE INDEX bulk_job_items_job ON bulk_job_items (job_id, state, id);

-- No foreign keys to users: the audit trail outlives the users it names.
CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY,
    domain_id       INTEGER REFERENCES domains (id) ON DELETE SET NULL,
    actor_id        INTEGER,
    actor_login     TEXT NOT NULL,
    action          TEXT NOT NULL,
    target_user_id  INTEGER,
    target          TEXT NOT NULL DEFAULT '',
    details         TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX audit_events_domain ON audit_events (domain_id, created_at, id);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    domain_id        INTEGER REFERENCES domains (id) ON DELETE SET NULL,
    user_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
    recipient        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_error       TEXT,
    created_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    sent_at          TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_user ON outbox (user_id);

-- One-time links (welcome, password reset): only a hash of the token is stored.
CREATE TABLE password_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('welcome', 'reset')),
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX password_tokens_user ON password_tokens (user_id);
