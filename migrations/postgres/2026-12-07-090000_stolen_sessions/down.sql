DROP TABLE link_mail_counts;
ALTER TABLE domains DROP COLUMN link_mail_per_day;
DROP INDEX import_files_key;
ALTER TABLE import_files DROP COLUMN key;
ALTER TABLE sessions DROP COLUMN password_confirmed_at;
