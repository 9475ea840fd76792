DROP TABLE import_rows;
DROP TABLE import_files;
