DROP INDEX bulk_job_items_pending;
