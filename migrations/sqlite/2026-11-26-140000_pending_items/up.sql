-- The job worker takes the oldest pending items of any job: an index of just those keeps
-- each claim from reading every item of every job.
CREATE INDEX bulk_job_items_pending ON bulk_job_items (id) WHERE state = 'pending';
