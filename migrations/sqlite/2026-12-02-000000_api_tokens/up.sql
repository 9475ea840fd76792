-- The JSON API (issue 19).
--
-- `api_tokens`: the bearer tokens a user makes on /account/tokens. Like a session, a
-- token is `pbx_{id}_{secret}` and only the secret's SHA-256 is kept; revoking one
-- deletes its row, and so does deleting, resetting or force-resetting its owner (the
-- cascade, or the same statement that ends the owner's sessions). AUTOINCREMENT, so an
-- id is never handed out twice. Names are unique per owner: **Revoke {name}** names one.
--
-- `api_idempotency`: the job an `Idempotency-Key` started, per owner, with a digest of
-- the request that started it, so a retried request gets the same job back and a
-- different request under the same key is refused. Kept a day (the background purge).
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP,
    UNIQUE (user_id, name)
);

CREATE TABLE api_idempotency (
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    job_id        INTEGER NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX api_idempotency_age ON api_idempotency (created_at);
