DROP INDEX bulk_jobs_actor;
DROP INDEX bulk_job_items_user;
