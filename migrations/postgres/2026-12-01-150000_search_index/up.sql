-- Search by index, folded for case and accents, and one name order on both backends.
-- 1. search_text becomes portal_fold(extension, names, e-mail): lower case without
--    accents ("émile" finds "Émile"), served by a trigram GIN index that leads with the
--    domain (btree_gin), so a search reads its own domain's entries only.
-- 2. first_name and last_name sort by code point (COLLATE "C"), as SQLite's BINARY
--    does, whatever the database's locale.
-- PostgreSQL refuses to change a column that a generated column reads, so status and
-- search_text are dropped and added again around the collation change (one rewrite).
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- unaccent() is only STABLE (its dictionary could change); naming the dictionary makes
-- the result depend on the text alone, which a generated column needs. The ICU root
-- collation folds case for every script, whatever the database's own locale.
CREATE FUNCTION portal_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1) COLLATE "und-x-icu") $$;

DROP INDEX users_search;
DROP INDEX users_by_status;
ALTER TABLE users DROP COLUMN search_text, DROP COLUMN status;
ALTER TABLE users
    ALTER COLUMN first_name TYPE TEXT COLLATE "C",
    ALTER COLUMN last_name TYPE TEXT COLLATE "C",
    ADD COLUMN status INTEGER NOT NULL GENERATED ALWAYS AS (
        CASE
            WHEN first_name = '' AND last_name = '' THEN 0
            WHEN password_hash IS NULL THEN 1
            ELSE 2
        END) STORED,
    ADD COLUMN search_text TEXT NOT NULL GENERATED ALWAYS AS (
        portal_fold(extension || ' ' || first_name || ' ' || last_name || ' ' || coalesce(email, ''))
        ) STORED;
CREATE INDEX users_by_status ON users (domain_id, status, ext_length, extension);
CREATE INDEX users_search ON users USING gin (domain_id, search_text gin_trgm_ops);
