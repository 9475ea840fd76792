-- A status filter sorted by name (issue 33): the page is one range of this index, read
-- in order, however rare the status; without it the name index walked the domain to
-- fill a page. With users_by_status (status, then extension) every sort a status filter
-- can have is served.
CREATE INDEX users_by_status_name ON users (domain_id, status, first_name, last_name, ext_length, extension);
