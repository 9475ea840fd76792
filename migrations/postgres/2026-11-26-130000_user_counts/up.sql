-- Faster Users pages on large domains.
-- 1. Extensions sort as numbers: by length, then digits. A generated column for the
--    length (instead of an index on the expression) lets the keyset's row-value
--    comparison seek in the index rather than scan from the start.
-- 2. user_counts keeps, per domain, how many users have each (is_system, status), so a
--    page's total is a sum of at most six rows instead of a count over the domain.

ALTER TABLE users ADD COLUMN ext_length INTEGER NOT NULL
    GENERATED ALWAYS AS (char_length(extension)) STORED;

DROP INDEX users_by_extension;
DROP INDEX users_by_name;
DROP INDEX users_by_status;
CREATE INDEX users_by_extension ON users (domain_id, ext_length, extension);
CREATE INDEX users_by_name ON users (domain_id, first_name, last_name, ext_length, extension);
CREATE INDEX users_by_status ON users (domain_id, status, ext_length, extension);

CREATE TABLE user_counts (
    domain_id  BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    is_system  BOOLEAN NOT NULL,
    status     INTEGER NOT NULL,
    users      INTEGER NOT NULL,
    PRIMARY KEY (domain_id, is_system, status)
);

INSERT INTO user_counts (domain_id, is_system, status, users)
SELECT domain_id, is_system, status, COUNT(*) FROM users GROUP BY domain_id, is_system, status;

CREATE FUNCTION user_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE user_counts SET users = users - 1
        WHERE domain_id = OLD.domain_id AND is_system = OLD.is_system AND status = OLD.status;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO user_counts (domain_id, is_system, status, users)
        VALUES (NEW.domain_id, NEW.is_system, NEW.status, 1)
        ON CONFLICT (domain_id, is_system, status) DO UPDATE SET users = user_counts.users + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER user_counts_insert_delete AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION user_counts_follow();
CREATE TRIGGER user_counts_update AFTER UPDATE ON users
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.is_system IS DISTINCT FROM NEW.is_system
          OR OLD.domain_id IS DISTINCT FROM NEW.domain_id)
    EXECUTE FUNCTION user_counts_follow();
