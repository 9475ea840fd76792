DROP TABLE reset_undo;
DROP TABLE deleted_users;
