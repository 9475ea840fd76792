-- A domain's data version moves on with every change to its users or their devices, in
-- the changing transaction, whatever makes the change (the portal, another instance,
-- plain SQL). The Users page keys its rendered rows by it: a page read under a version
-- is reused until the version moves on, and never after. Per statement, with transition
-- tables, as user_counts is: one update per domain and statement, not per row. Both
-- users and devices (the page shows device counts) carry a domain_id. Domains are
-- locked in id order, so statements that touch several cannot deadlock on them.
ALTER TABLE domains ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION domain_version_bump(changed BIGINT[]) RETURNS void LANGUAGE sql AS $$
    UPDATE domains SET data_version = data_version + 1
    WHERE id IN (SELECT id FROM domains WHERE id = ANY (changed) ORDER BY id
                 FOR NO KEY UPDATE);
$$;

CREATE FUNCTION domain_version_after_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM domain_version_bump(ARRAY(SELECT DISTINCT domain_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM domain_version_bump(ARRAY(SELECT DISTINCT domain_id FROM old_rows));
    ELSE
        PERFORM domain_version_bump(ARRAY(
            SELECT domain_id FROM new_rows UNION SELECT domain_id FROM old_rows));
    END IF;
    RETURN NULL;
END
$$;

-- A device given to another user counts for that user's domain, whatever the device's
-- own domain_id says.
CREATE FUNCTION domain_version_after_device_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM domain_version_bump(ARRAY(
        SELECT domain_id FROM new_rows UNION SELECT domain_id FROM old_rows
        UNION SELECT users.domain_id FROM users JOIN new_rows ON new_rows.user_id = users.id
        UNION SELECT users.domain_id FROM users JOIN old_rows ON old_rows.user_id = users.id));
    RETURN NULL;
END
$$;

-- TRUNCATE fires no row or DELETE triggers: every domain moves on.
CREATE FUNCTION domain_version_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM domain_version_bump(ARRAY(SELECT id FROM domains));
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
CREATE TRIGGER domain_version_user_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_truncate();

-- The page shows each user's device count.
CREATE TRIGGER domain_version_device_insert AFTER INSERT ON devices
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_change();
CREATE TRIGGER domain_version_device_update AFTER UPDATE ON devices
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_device_update();
CREATE TRIGGER domain_version_device_delete AFTER DELETE ON devices
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_change();
CREATE TRIGGER domain_version_device_truncate AFTER TRUNCATE ON devices
    FOR EACH STATEMENT EXECUTE FUNCTION domain_version_after_truncate();
