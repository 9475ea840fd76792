DROP INDEX users_by_status_name;
