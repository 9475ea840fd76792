DROP TABLE link_mail_counts;
ALTER TABLE domains DROP COLUMN link_mail_per_day;
CREATE TABLE import_files_unkeyed (
    id          INTEGER PRIMARY KEY,
    actor_id    INTEGER NOT NULL,
    domain_id   INTEGER,
    file_name   TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    content     TEXT NOT NULL,
    checked     TEXT NOT NULL
);
INSERT INTO import_files_unkeyed (id, actor_id, domain_id, file_name, created_at, content, checked)
    SELECT id, actor_id, domain_id, file_name, created_at, content, checked FROM import_files;
DROP TABLE import_files;
ALTER TABLE import_files_unkeyed RENAME TO import_files;
CREATE INDEX import_files_age ON import_files (created_at);
ALTER TABLE sessions DROP COLUMN password_confirmed_at;
