ALTER TABLE bulk_job_items DROP COLUMN recycled_at;
