DROP INDEX users_search;
DROP INDEX users_by_status;
ALTER TABLE users DROP COLUMN search_text, DROP COLUMN status;
ALTER TABLE users
    ALTER COLUMN first_name TYPE TEXT COLLATE "default",
    ALTER COLUMN last_name TYPE TEXT COLLATE "default",
    ADD COLUMN status INTEGER NOT NULL GENERATED ALWAYS AS (
        CASE
            WHEN first_name = '' AND last_name = '' THEN 0
            WHEN password_hash IS NULL THEN 1
            ELSE 2
        END) STORED,
    ADD COLUMN search_text TEXT NOT NULL GENERATED ALWAYS AS (
        lower(extension || ' ' || first_name || ' ' || last_name || ' ' || coalesce(email, ''))
        ) STORED;
CREATE INDEX users_by_status ON users (domain_id, status, ext_length, extension);
CREATE INDEX users_search ON users USING gin (search_text gin_trgm_ops);
DROP FUNCTION portal_fold(text);
