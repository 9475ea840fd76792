-- Import from a spreadsheet (issue 18).
--
-- `import_files` holds a checked file between Check and Import, with what the check
-- found per row, so that Import checks the same file again and skips every row whose
-- meaning changed in between. It belongs to the user who uploaded it and goes when the
-- import starts (or after a day, by the background purge).
--
-- `import_rows` holds what each row of an import job does (its plan, as JSON), keyed
-- like the job's item: by job, domain and extension (unique within an import). A row's
-- plan goes in the same transaction as its item is finished.
CREATE TABLE import_files (
    id          BIGSERIAL PRIMARY KEY,
    actor_id    BIGINT NOT NULL,
    domain_id   BIGINT,
    file_name   TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    content     TEXT NOT NULL,
    checked     TEXT NOT NULL
);
CREATE INDEX import_files_age ON import_files (created_at);

CREATE TABLE import_rows (
    job_id      BIGINT NOT NULL,
    domain_id   BIGINT NOT NULL,
    extension   TEXT NOT NULL,
    row_number  INTEGER NOT NULL,
    plan        TEXT NOT NULL,
    PRIMARY KEY (job_id, domain_id, extension)
);
