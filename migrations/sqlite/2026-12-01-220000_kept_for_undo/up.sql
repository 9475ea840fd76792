-- Nothing destructive is final for the retention period (issue 17).
--
-- A deleted user's row and everything attached to it are kept as one JSON document in
-- `deleted_users`, and the live rows go as before. Every query of the live tables stays
-- as it was (no Users-page query pays for deleted rows, and no page can show a deleted
-- user by forgetting a filter), the extension is free at once, and the user's sessions
-- and links go with the live row, so a restore cannot bring them back. Restore puts the
-- row back under its own id, which is never given to anyone else.
--
-- A reset job keeps, per user, what it cleared in `reset_undo`, with the row version the
-- reset left: Undo reset puts it back only where that version still stands.
CREATE TABLE deleted_users (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL UNIQUE,
    domain_id   INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    extension   TEXT NOT NULL,
    first_name  TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    email       TEXT,
    scope       INTEGER NOT NULL,
    deleted_at  TIMESTAMP NOT NULL,
    deleted_by  TEXT NOT NULL,
    kept        TEXT NOT NULL
);
CREATE INDEX deleted_users_domain ON deleted_users (domain_id, seq);
CREATE INDEX deleted_users_age ON deleted_users (deleted_at);

CREATE TABLE reset_undo (
    job_id         INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    version_after  INTEGER NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    kept           TEXT NOT NULL,
    PRIMARY KEY (job_id, user_id)
);
CREATE INDEX reset_undo_age ON reset_undo (created_at);
