-- A domain's data version moves on with every change to its users or their devices, in
-- the changing transaction, whatever makes the change (the portal, another instance,
-- plain SQL). The Users page keys its rendered rows by it: a page read under a version
-- is reused until the version moves on, and never after. Per statement, with transition
-- tables, as user_counts is: one update per domain and statement, not per row. Both
-- users and devices (the page shows device counts) carry a domain_id.
ALTER TABLE domains ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION domain_version_after_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE domains SET data_version = data_version + 1
        WHERE id IN (SELECT domain_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE domains SET data_version = data_version + 1
        WHERE id IN (SELECT domain_id FROM old_rows);
    ELSE
        UPDATE domains SET data_version = data_version + 1
        WHERE id IN (SELECT domain_id FROM new_rows UNION SELECT domain_id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER domain_version_user_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_change();
CREATE TRIGGER domain_version_user_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_change();
CREATE TRIGGER domain_version_user_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_change();

-- The page shows each user's device count.
CREATE TRIGGER domain_version_device_insert AFTER INSERT ON devices
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_change();
CREATE TRIGGER domain_version_device_update AFTER UPDATE ON devices
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_change();
CREATE TRIGGER domain_version_device_delete AFTER DELETE ON devices
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_change();
