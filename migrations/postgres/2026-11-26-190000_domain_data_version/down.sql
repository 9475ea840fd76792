DROP TRIGGER domain_version_device_delete ON devices;
DROP TRIGGER domain_version_device_update ON devices;
DROP TRIGGER domain_version_device_insert ON devices;
DROP TRIGGER domain_version_user_delete ON users;
DROP TRIGGER domain_version_user_update ON users;
DROP TRIGGER domain_version_user_insert ON users;
DROP FUNCTION domain_version_after_change();
ALTER TABLE domains DROP COLUMN data_version;
