-- A bulk job writes an item and an audit event for each user it changes. PostgreSQL
-- checks each foreign key of each inserted row with a query of its own, and those
-- checks were a fifth of a 10,000-user reset (the items' INSERT took 216 ms with its
-- keys to domains and users, 109 ms without). These keys guard nothing the code relies
-- on, so they go:
-- - an item's domain is its job's, and jobs still go with their domain;
-- - an item's user is looked up by id before anything is done, and ids are never
--   reused, so a deleted user's item finds no user ("The user no longer exists."), as
--   the NULL the key used to write did; the index that served that SET NULL goes too;
-- - domains are never deleted, and an audit event should keep the id of the domain it
--   happened in whatever becomes of it.
-- SQLite's migration of the same name drops the items' keys as well (a Restore's items
-- name users that are for the moment only kept in `deleted_users`); it keeps the audit
-- events' key, cheap there, rather than rebuild the largest table.
ALTER TABLE bulk_job_items
    DROP CONSTRAINT bulk_job_items_domain_id_fkey,
    DROP CONSTRAINT bulk_job_items_user_id_fkey;
DROP INDEX bulk_job_items_user;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_domain_id_fkey;
