DROP INDEX bulk_jobs_domain_newest;
ALTER TABLE bulk_jobs DROP COLUMN stopped_by;
ALTER TABLE bulk_jobs DROP COLUMN stopped_at;
