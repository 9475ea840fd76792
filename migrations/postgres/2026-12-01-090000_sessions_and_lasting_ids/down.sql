DROP TABLE sessions;
DROP TRIGGER domain_version_device_insert ON devices;
DROP TRIGGER domain_version_device_delete ON devices;
CREATE TRIGGER domain_version_device_insert AFTER INSERT ON devices
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_change();
CREATE TRIGGER domain_version_device_delete AFTER DELETE ON devices
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_change();
DROP FUNCTION domain_version_after_device_change();
ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check
    CHECK (state IN ('queued', 'sending', 'sent', 'failed'));
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
