-- Two-step sign-in (SPEC "Two-step sign-in"). A user's second factors: one
-- authenticator app (its secret sealed with a key derived from SESSION_KEY; not yet on
-- while `turned_on_at` is empty, between Set up and Turn on), passkeys, and recovery
-- codes (SHA-256 of each). `last_step` is the last 30-second step a code was accepted
-- for, so no code works twice. Every row goes with its user.
CREATE TABLE authenticator_apps (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    last_step     BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    turned_on_at  TIMESTAMP
);

CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    passkey       TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP
);
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- A sign-in or passkey ceremony under way, named by a token in the browser's cookie
-- (only its SHA-256 here), short-lived and used once: the second step after a right
-- password (no session exists until it is passed), or a passkey's challenge.
CREATE TABLE sign_in_challenges (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_challenges_expiry ON sign_in_challenges (expires_at);
