-- System users get their own part of each domain's rowid range in `users_search`:
-- rowid = domain_id * 2^32 + is_system * 2^31 + users.id. A search that hides system
-- users (the default) then reads only the lower half, so it can count its matches from
-- the index alone, without looking each one up in `users` to ask whether it is a
-- system user. Ids stay below 2^31 per this layout, as they stayed below 2^32 before.
DROP TRIGGER users_search_update;
DROP TRIGGER users_search_delete;
DROP TRIGGER users_search_insert;

INSERT INTO users_search (users_search) VALUES ('delete-all');

INSERT INTO users_search (rowid, text)
SELECT domain_id * 4294967296 + is_system * 2147483648 + id,
       extension || ' ' || first_name || ' ' || last_name || ' ' || coalesce(email, '')
FROM users;

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, text) VALUES (
        new.domain_id * 4294967296 + new.is_system * 2147483648 + new.id,
        new.extension || ' ' || new.first_name || ' ' || new.last_name || ' ' || coalesce(new.email, ''));
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, text) VALUES (
        'delete',
        old.domain_id * 4294967296 + old.is_system * 2147483648 + old.id,
        old.extension || ' ' || old.first_name || ' ' || old.last_name || ' ' || coalesce(old.email, ''));
END;

CREATE TRIGGER users_search_update
AFTER UPDATE OF domain_id, is_system, extension, first_name, last_name, email ON users
WHEN old.domain_id IS NOT new.domain_id OR old.is_system IS NOT new.is_system
  OR old.extension IS NOT new.extension
  OR old.first_name IS NOT new.first_name OR old.last_name IS NOT new.last_name
  OR old.email IS NOT new.email
BEGIN
    INSERT INTO users_search (users_search, rowid, text) VALUES (
        'delete',
        old.domain_id * 4294967296 + old.is_system * 2147483648 + old.id,
        old.extension || ' ' || old.first_name || ' ' || old.last_name || ' ' || coalesce(old.email, ''));
    INSERT INTO users_search (rowid, text) VALUES (
        new.domain_id * 4294967296 + new.is_system * 2147483648 + new.id,
        new.extension || ' ' || new.first_name || ' ' || new.last_name || ' ' || coalesce(new.email, ''));
END;
