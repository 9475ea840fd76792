-- Searches of one or two characters by index (issue 33). pg_trgm cannot answer them, so
-- they read every row of the domain. search_grams holds each character and each pair of
-- neighbouring characters of the folded search text, and a GIN index led by the domain
-- serves "holds the term" (`@>`), and its statistics tell the planner how common a
-- piece is. A generated column cannot read another, so the text is folded again here.
CREATE FUNCTION portal_grams(text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
        SELECT coalesce(array_agg(DISTINCT piece), '{}')
        FROM (SELECT substr($1, i, 1) FROM generate_series(1, length($1)) AS i
              UNION ALL
              SELECT substr($1, i, 2) FROM generate_series(1, length($1) - 1) AS i) AS pieces (piece)
    $$;

ALTER TABLE users ADD COLUMN search_grams TEXT[] NOT NULL GENERATED ALWAYS AS (
    portal_grams(portal_fold(extension || ' ' || first_name || ' ' || last_name || ' ' || coalesce(email, '')))
    ) STORED;
CREATE INDEX users_grams ON users USING gin (domain_id, search_grams);
