-- Faster Users pages on large domains.
-- 1. Extensions sort as numbers: by length, then digits. A generated column for the
--    length (instead of an index on the expression) lets the keyset's row-value
--    comparison seek in the index rather than scan from the start.
-- 2. user_counts keeps, per domain, how many users have each (is_system, status), so a
--    page's total is a sum of at most six rows instead of a count over the domain.

ALTER TABLE users ADD COLUMN ext_length INTEGER NOT NULL
    GENERATED ALWAYS AS (length(extension)) VIRTUAL;

DROP INDEX users_by_extension;
DROP INDEX users_by_name;
DROP INDEX users_by_status;
CREATE INDEX users_by_extension ON users (domain_id, ext_length, extension);
CREATE INDEX users_by_name ON users (domain_id, first_name, last_name, ext_length, extension);
CREATE INDEX users_by_status ON users (domain_id, status, ext_length, extension);

CREATE TABLE user_counts (
    domain_id  INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    is_system  BOOLEAN NOT NULL,
    status     INTEGER NOT NULL,
    users      INTEGER NOT NULL,
    PRIMARY KEY (domain_id, is_system, status)
);

INSERT INTO user_counts (domain_id, is_system, status, users)
SELECT domain_id, is_system, status, COUNT(*) FROM users GROUP BY domain_id, is_system, status;

CREATE TRIGGER user_counts_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_counts (domain_id, is_system, status, users)
    VALUES (NEW.domain_id, NEW.is_system, NEW.status, 1)
    ON CONFLICT (domain_id, is_system, status) DO UPDATE SET users = users + 1;
END;

CREATE TRIGGER user_counts_delete AFTER DELETE ON users BEGIN
    UPDATE user_counts SET users = users - 1
    WHERE domain_id = OLD.domain_id AND is_system = OLD.is_system AND status = OLD.status;
END;

CREATE TRIGGER user_counts_update AFTER UPDATE ON users
WHEN OLD.status <> NEW.status OR OLD.is_system <> NEW.is_system OR OLD.domain_id <> NEW.domain_id
BEGIN
    UPDATE user_counts SET users = users - 1
    WHERE domain_id = OLD.domain_id AND is_system = OLD.is_system AND status = OLD.status;
    INSERT INTO user_counts (domain_id, is_system, status, users)
    VALUES (NEW.domain_id, NEW.is_system, NEW.status, 1)
    ON CONFLICT (domain_id, is_system, status) DO UPDATE SET users = users + 1;
END;
