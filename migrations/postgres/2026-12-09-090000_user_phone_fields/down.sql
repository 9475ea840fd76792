ALTER TABLE domains DROP COLUMN time_zone;
ALTER TABLE users DROP COLUMN emergency_caller_id;
ALTER TABLE users DROP COLUMN caller_id_number;
ALTER TABLE users DROP COLUMN time_zone;
