-- A reset user is recycled once: the recycle form lists, and accepts, only items not
-- yet recycled, so a second Save cannot clear the new person's password again.
ALTER TABLE bulk_job_items ADD COLUMN recycled_at TIMESTAMP;
