-- A job's items keep the id of their user and their domain without foreign keys, as on
-- PostgreSQL (same migration there): an item's user is looked up by id before anything
-- is done, and ids are never reused, so an item of a deleted user finds no user ("The
-- user no longer exists."); an item of a Restore names a user that is, for the moment,
-- only kept in `deleted_users`, which a key to `users` would refuse. The domain is the
-- job's, and jobs still go with their domain.
-- SQLite cannot drop a foreign key: the table is rebuilt, keeping every row and id,
-- with foreign keys off (which SQLite ignores inside a transaction, hence
-- metadata.toml).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE bulk_job_items_rebuilt (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
    domain_id    INTEGER NOT NULL,
    user_id      INTEGER,
    extension    TEXT NOT NULL,
    user_name    TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'done', 'failed', 'skipped')),
    reason       TEXT,
    finished_at  TIMESTAMP,
    recycled_at  TIMESTAMP
);
INSERT INTO bulk_job_items_rebuilt
    (id, job_id, domain_id, user_id, extension, user_name, state, reason, finished_at, recycled_at)
SELECT id, job_id, domain_id, user_id, extension, user_name, state, reason, finished_at, recycled_at
FROM bulk_job_items;
DROP TABLE bulk_job_items;
ALTER TABLE bulk_job_items_rebuilt RENAME TO bulk_job_items;
CREATE INDEX bulk_job_items_job ON bulk_job_items (job_id, state, id);
CREATE INDEX bulk_job_items_pending ON bulk_job_items (id) WHERE state = 'pending';

COMMIT;
PRAGMA foreign_keys = ON;
