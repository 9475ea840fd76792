PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE bulk_job_items_rebuilt (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
    domain_id    INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
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
SELECT id, job_id, domain_id,
       CASE WHEN user_id IN (SELECT id FROM users) THEN user_id END,
       extension, user_name, state, reason, finished_at, recycled_at
FROM bulk_job_items;
DROP TABLE bulk_job_items;
ALTER TABLE bulk_job_items_rebuilt RENAME TO bulk_job_items;
CREATE INDEX bulk_job_items_job ON bulk_job_items (job_id, state, id);
CREATE INDEX bulk_job_items_pending ON bulk_job_items (id) WHERE state = 'pending';
CREATE INDEX bulk_job_items_user ON bulk_job_items (user_id);

COMMIT;
PRAGMA foreign_keys = ON;
