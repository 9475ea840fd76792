-- Failed sign-ins of the last minutes, by the login typed and by the client's address:
-- what sign-in throttling counts. Rows older than the window are purged as new ones come.
CREATE TABLE sign_in_failures (
    id         INTEGER PRIMARY KEY,
    login      TEXT NOT NULL,
    address    TEXT NOT NULL,
    failed_at  TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_login ON sign_in_failures (login, failed_at);
CREATE INDEX sign_in_failures_address ON sign_in_failures (address, failed_at);
CREATE INDEX sign_in_failures_age ON sign_in_failures (failed_at);
