ALTER TABLE audit_events
    ADD CONSTRAINT audit_events_domain_id_fkey
    FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE SET NULL;
CREATE INDEX bulk_job_items_user ON bulk_job_items (user_id);
UPDATE bulk_job_items SET user_id = NULL
    WHERE user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE users.id = bulk_job_items.user_id);
ALTER TABLE bulk_job_items
    ADD CONSTRAINT bulk_job_items_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL,
    ADD CONSTRAINT bulk_job_items_domain_id_fkey
    FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE;
