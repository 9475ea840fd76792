-- A domain's data version moves on with every change to its users or their devices, in
-- the changing transaction, whatever makes the change (the portal, another instance,
-- plain SQL). The Users page keys its rendered rows by it: a page read under a version
-- is reused until the version moves on, and never after.
ALTER TABLE domains ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER domain_version_user_insert AFTER INSERT ON users BEGIN
    UPDATE domains SET data_version = data_version + 1 WHERE id = NEW.domain_id;
END;
CREATE TRIGGER domain_version_user_update AFTER UPDATE ON users BEGIN
    UPDATE domains SET data_version = data_version + 1
    WHERE id IN (OLD.domain_id, NEW.domain_id);
END;
CREATE TRIGGER domain_version_user_delete AFTER DELETE ON users BEGIN
    UPDATE domains SET data_version = data_version + 1 WHERE id = OLD.domain_id;
END;

-- The page shows each user's device count.
CREATE TRIGGER domain_version_device_insert AFTER INSERT ON devices BEGIN
    UPDATE domains SET data_version = data_version + 1 WHERE id = NEW.domain_id;
END;
-- A device given to another user counts for that user's domain, whatever the device's
-- own domain_id says.
CREATE TRIGGER domain_version_device_update AFTER UPDATE ON devices BEGIN
    UPDATE domains SET data_version = data_version + 1
    WHERE id IN (OLD.domain_id, NEW.domain_id)
       OR id IN (SELECT domain_id FROM users WHERE id IN (OLD.user_id, NEW.user_id));
END;
CREATE TRIGGER domain_version_device_delete AFTER DELETE ON devices BEGIN
    UPDATE domains SET data_version = data_version + 1 WHERE id = OLD.domain_id;
END;
