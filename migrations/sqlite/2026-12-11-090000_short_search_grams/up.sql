-- Searches of one or two characters by index (issue 33). The trigram index cannot
-- answer them, so they read every row of the domain: 0.3-1.9 s for a term nobody has in
-- a domain of a million. users_grams holds, for each user, every character and every
-- pair of neighbouring characters of search_text (lower-cased ASCII, the same folding a
-- short search has always had here), each written as one word of hex: "ab" gives
-- "u61 b6162 u62". A short search is then one word's list of rowids, in the domain's
-- rowid range as in users_search (same layout). detail=none keeps only the rowids.
--
-- Triggers cannot run a recursive query, so search_positions lists the character
-- positions the triggers walk: 4,096 of them, ten times the longest text the portal
-- accepts (extension 10, two names of 64, e-mail 254, three spaces).
CREATE TABLE search_positions (n INTEGER PRIMARY KEY);

WITH RECURSIVE counted (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM counted WHERE n < 4096)
INSERT INTO search_positions (n) SELECT n FROM counted;

CREATE VIRTUAL TABLE users_grams USING fts5 (
    grams,
    content = '',
    detail = none,
    tokenize = 'ascii'
);

-- Each user's row of users_grams, as the triggers write and remove it; a trigger reads
-- it for one user, while the user's row holds the text to write or remove.
CREATE VIEW users_gram_rows (id, gram_rowid, grams) AS
SELECT id,
       domain_id * 4294967296 + is_system * 2147483648 + id,
       (SELECT group_concat('u' || hex(substr(search_text, n, 1))
                || CASE WHEN n < length(search_text)
                        THEN ' b' || hex(substr(search_text, n, 2)) ELSE '' END, ' ')
        FROM search_positions WHERE n <= length(search_text))
FROM users;

INSERT INTO users_grams (rowid, grams) SELECT gram_rowid, grams FROM users_gram_rows;

CREATE TRIGGER users_grams_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_grams (rowid, grams)
    SELECT gram_rowid, grams FROM users_gram_rows WHERE id = new.id;
END;

CREATE TRIGGER users_grams_delete BEFORE DELETE ON users BEGIN
    INSERT INTO users_grams (users_grams, rowid, grams)
    SELECT 'delete', gram_rowid, grams FROM users_gram_rows WHERE id = old.id;
END;

CREATE TRIGGER users_grams_update_before
BEFORE UPDATE OF domain_id, is_system, extension, first_name, last_name, email ON users
WHEN old.domain_id IS NOT new.domain_id OR old.is_system IS NOT new.is_system
  OR old.extension IS NOT new.extension
  OR old.first_name IS NOT new.first_name OR old.last_name IS NOT new.last_name
  OR old.email IS NOT new.email
BEGIN
    INSERT INTO users_grams (users_grams, rowid, grams)
    SELECT 'delete', gram_rowid, grams FROM users_gram_rows WHERE id = old.id;
END;

CREATE TRIGGER users_grams_update_after
AFTER UPDATE OF domain_id, is_system, extension, first_name, last_name, email ON users
WHEN old.domain_id IS NOT new.domain_id OR old.is_system IS NOT new.is_system
  OR old.extension IS NOT new.extension
  OR old.first_name IS NOT new.first_name OR old.last_name IS NOT new.last_name
  OR old.email IS NOT new.email
BEGIN
    INSERT INTO users_grams (rowid, grams)
    SELECT gram_rowid, grams FROM users_gram_rows WHERE id = new.id;
END;
