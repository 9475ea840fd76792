DROP TRIGGER domain_version_device_delete;
DROP TRIGGER domain_version_device_update;
DROP TRIGGER domain_version_device_insert;
DROP TRIGGER domain_version_user_delete;
DROP TRIGGER domain_version_user_update;
DROP TRIGGER domain_version_user_insert;
ALTER TABLE domains DROP COLUMN data_version;
