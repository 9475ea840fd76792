-- Search by index: an FTS5 table of trigrams over each user's extension, names and
-- e-mail, folded for case and accents ("émile" finds "Émile"). It keeps no copy of the
-- text (contentless); triggers keep it in step with `users`. Its rowid is
-- domain_id * 2^32 + users.id, so a search reads only its own domain's part of each
-- trigram's list (a rowid range), never the other domains' matches.
CREATE VIRTUAL TABLE users_search USING fts5 (
    text,
    content = '',
    contentless_delete = 1,
    tokenize = 'trigram remove_diacritics 1'
);

INSERT INTO users_search (rowid, text)
SELECT domain_id * 4294967296 + id,
       extension || ' ' || first_name || ' ' || last_name || ' ' || coalesce(email, '')
FROM users;

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, text) VALUES (
        new.domain_id * 4294967296 + new.id,
        new.extension || ' ' || new.first_name || ' ' || new.last_name || ' ' || coalesce(new.email, ''));
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM users_search WHERE rowid = old.domain_id * 4294967296 + old.id;
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF extension, first_name, last_name, email ON users
WHEN old.extension IS NOT new.extension OR old.first_name IS NOT new.first_name
  OR old.last_name IS NOT new.last_name OR old.email IS NOT new.email
BEGIN
    DELETE FROM users_search WHERE rowid = old.domain_id * 4294967296 + old.id;
    INSERT INTO users_search (rowid, text) VALUES (
        new.domain_id * 4294967296 + new.id,
        new.extension || ' ' || new.first_name || ' ' || new.last_name || ' ' || coalesce(new.email, ''));
END;
