-- Back to rowid = domain_id * 2^32 + users.id for every user.
DROP TRIGGER users_search_update;
DROP TRIGGER users_search_delete;
DROP TRIGGER users_search_insert;

INSERT INTO users_search (users_search) VALUES ('delete-all');

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
    INSERT INTO users_search (users_search, rowid, text) VALUES (
        'delete',
        old.domain_id * 4294967296 + old.id,
        old.extension || ' ' || old.first_name || ' ' || old.last_name || ' ' || coalesce(old.email, ''));
END;

CREATE TRIGGER users_search_update
AFTER UPDATE OF domain_id, extension, first_name, last_name, email ON users
WHEN old.domain_id IS NOT new.domain_id OR old.extension IS NOT new.extension
  OR old.first_name IS NOT new.first_name OR old.last_name IS NOT new.last_name
  OR old.email IS NOT new.email
BEGIN
    INSERT INTO users_search (users_search, rowid, text) VALUES (
        'delete',
        old.domain_id * 4294967296 + old.id,
        old.extension || ' ' || old.first_name || ' ' || old.last_name || ' ' || coalesce(old.email, ''));
    INSERT INTO users_search (rowid, text) VALUES (
        new.domain_id * 4294967296 + new.id,
        new.extension || ' ' || new.first_name || ' ' || new.last_name || ' ' || coalesce(new.email, ''));
END;
