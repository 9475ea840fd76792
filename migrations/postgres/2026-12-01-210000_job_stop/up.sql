-- A job can be stopped (issue 16): it then ends as finished with the time and the login
-- of whoever stopped it, so the stored states and the worker stay as they are and the
-- pages show "Stopped". The Jobs page lists a domain's jobs newest first by id.
ALTER TABLE bulk_jobs ADD COLUMN stopped_at TIMESTAMP;
ALTER TABLE bulk_jobs ADD COLUMN stopped_by TEXT;
CREATE INDEX bulk_jobs_domain_newest ON bulk_jobs (domain_id, id);
