-- Call routing (issue 31): what rings when a customer dials, and who it reaches. Every
-- reference to a user is the user's id with a foreign key (never the extension's text,
-- so a renumbered or recycled seat keeps it) and an index on it, so "what points at
-- these users" is one indexed read per kind. The foreign keys to users have no ON
-- DELETE action: deleting a user who is still reached from anywhere fails, so every
-- delete must first move or remove its references (and keep them for Restore).
--
-- A destination (of a phone number or an attendant option) is a tagged reference:
-- dest_kind says what it is, and exactly the one column of that kind is set:
--   'user' / 'voicemail'  dest_user_id (the user, or the user's voicemail)
--   'attendant'           dest_attendant_id
--   'ring_group'          dest_ring_group_id
--   'queue'               dest_queue_id
--   'outside'             dest_outside (E.164)
--   'nobody'              none: a dead end
-- version: a row version for optimistic concurrency, as users have.

CREATE TABLE auto_attendants (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    number      TEXT NOT NULL,
    UNIQUE (domain_id, number)
);

CREATE TABLE ring_groups (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    number      TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (domain_id, number)
);

CREATE TABLE call_queues (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    number      TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (domain_id, number)
);

CREATE TABLE phone_numbers (
    id                  INTEGER PRIMARY KEY,
    domain_id           INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    number              TEXT NOT NULL UNIQUE,
    label               TEXT NOT NULL DEFAULT '',
    dest_kind           TEXT NOT NULL,
    dest_user_id        INTEGER REFERENCES users (id),
    dest_attendant_id   INTEGER REFERENCES auto_attendants (id),
    dest_ring_group_id  INTEGER REFERENCES ring_groups (id),
    dest_queue_id       INTEGER REFERENCES call_queues (id),
    dest_outside        TEXT,
    version             INTEGER NOT NULL DEFAULT 1,
    CHECK (dest_kind IN ('user', 'voicemail', 'attendant', 'ring_group', 'queue', 'outside', 'nobody')),
    CHECK ((dest_user_id IS NOT NULL) = (dest_kind IN ('user', 'voicemail'))),
    CHECK ((dest_attendant_id IS NOT NULL) = (dest_kind = 'attendant')),
    CHECK ((dest_ring_group_id IS NOT NULL) = (dest_kind = 'ring_group')),
    CHECK ((dest_queue_id IS NOT NULL) = (dest_kind = 'queue')),
    CHECK ((dest_outside IS NOT NULL) = (dest_kind = 'outside'))
);
CREATE INDEX phone_numbers_domain ON phone_numbers (domain_id, number);
CREATE INDEX phone_numbers_user ON phone_numbers (dest_user_id);
CREATE INDEX phone_numbers_dead_ends ON phone_numbers (domain_id) WHERE dest_kind = 'nobody';

-- An attendant's options: a key (0-9, * or #) each, and 'timeout' for where a caller
-- who presses nothing goes.
CREATE TABLE attendant_options (
    id                  INTEGER PRIMARY KEY,
    domain_id           INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    attendant_id        INTEGER NOT NULL REFERENCES auto_attendants (id) ON DELETE CASCADE,
    key                 TEXT NOT NULL,
    dest_kind           TEXT NOT NULL,
    dest_user_id        INTEGER REFERENCES users (id),
    dest_attendant_id   INTEGER REFERENCES auto_attendants (id),
    dest_ring_group_id  INTEGER REFERENCES ring_groups (id),
    dest_queue_id       INTEGER REFERENCES call_queues (id),
    dest_outside        TEXT,
    version             INTEGER NOT NULL DEFAULT 1,
    UNIQUE (attendant_id, key),
    CHECK (key IN ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'timeout')),
    CHECK (dest_kind IN ('user', 'voicemail', 'attendant', 'ring_group', 'queue', 'outside', 'nobody')),
    CHECK ((dest_user_id IS NOT NULL) = (dest_kind IN ('user', 'voicemail'))),
    CHECK ((dest_attendant_id IS NOT NULL) = (dest_kind = 'attendant')),
    CHECK ((dest_ring_group_id IS NOT NULL) = (dest_kind = 'ring_group')),
    CHECK ((dest_queue_id IS NOT NULL) = (dest_kind = 'queue')),
    CHECK ((dest_outside IS NOT NULL) = (dest_kind = 'outside'))
);
CREATE INDEX attendant_options_user ON attendant_options (dest_user_id);
CREATE INDEX attendant_options_dead_ends ON attendant_options (domain_id) WHERE dest_kind = 'nobody';

-- A ring group's members, rung in `position` order.
CREATE TABLE ring_group_members (
    id             INTEGER PRIMARY KEY,
    domain_id      INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    ring_group_id  INTEGER NOT NULL REFERENCES ring_groups (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    position       INTEGER NOT NULL,
    UNIQUE (ring_group_id, user_id)
);
CREATE INDEX ring_group_members_user ON ring_group_members (user_id);

CREATE TABLE queue_agents (
    id         INTEGER PRIMARY KEY,
    domain_id  INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    queue_id   INTEGER NOT NULL REFERENCES call_queues (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    UNIQUE (queue_id, user_id)
);
CREATE INDEX queue_agents_user ON queue_agents (user_id);

-- A busy-lamp key on a device (its owner's phone) that watches another user. The keys go
-- with their device (a reset's Additional phones/devices, the owner's delete).
CREATE TABLE blf_keys (
    id               INTEGER PRIMARY KEY,
    domain_id        INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    device_id        INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    watched_user_id  INTEGER NOT NULL REFERENCES users (id),
    position         INTEGER NOT NULL,
    UNIQUE (device_id, position)
);
CREATE INDEX blf_keys_watched ON blf_keys (watched_user_id);
CREATE INDEX blf_keys_device ON blf_keys (device_id);

-- An answering rule that forwards to another user of the domain names them here (its
-- own `destination` text stays for forwards elsewhere).
ALTER TABLE answering_rules ADD COLUMN forward_user_id INTEGER REFERENCES users (id);
CREATE INDEX answering_rules_forward ON answering_rules (forward_user_id);

-- How many phone numbers, attendant options and timeouts of a domain reach nobody, kept
-- on the domain's row by the database in the changing transaction (whatever makes the
-- change), so that the Users page names its dead ends without a read of its own.
ALTER TABLE domains ADD COLUMN dead_ends BIGINT NOT NULL DEFAULT 0;
CREATE TRIGGER dead_ends_number_insert AFTER INSERT ON phone_numbers
WHEN NEW.dest_kind = 'nobody' BEGIN
    UPDATE domains SET dead_ends = dead_ends + 1 WHERE id = NEW.domain_id;
END;
CREATE TRIGGER dead_ends_number_delete AFTER DELETE ON phone_numbers
WHEN OLD.dest_kind = 'nobody' BEGIN
    UPDATE domains SET dead_ends = dead_ends - 1 WHERE id = OLD.domain_id;
END;
CREATE TRIGGER dead_ends_number_update AFTER UPDATE OF dest_kind ON phone_numbers
WHEN (OLD.dest_kind = 'nobody') <> (NEW.dest_kind = 'nobody') BEGIN
    UPDATE domains SET dead_ends = dead_ends + (CASE WHEN NEW.dest_kind = 'nobody' THEN 1 ELSE -1 END)
    WHERE id = NEW.domain_id;
END;
CREATE TRIGGER dead_ends_option_insert AFTER INSERT ON attendant_options
WHEN NEW.dest_kind = 'nobody' BEGIN
    UPDATE domains SET dead_ends = dead_ends + 1 WHERE id = NEW.domain_id;
END;
CREATE TRIGGER dead_ends_option_delete AFTER DELETE ON attendant_options
WHEN OLD.dest_kind = 'nobody' BEGIN
    UPDATE domains SET dead_ends = dead_ends - 1 WHERE id = OLD.domain_id;
END;
CREATE TRIGGER dead_ends_option_update AFTER UPDATE OF dest_kind ON attendant_options
WHEN (OLD.dest_kind = 'nobody') <> (NEW.dest_kind = 'nobody') BEGIN
    UPDATE domains SET dead_ends = dead_ends + (CASE WHEN NEW.dest_kind = 'nobody' THEN 1 ELSE -1 END)
    WHERE id = NEW.domain_id;
END;
