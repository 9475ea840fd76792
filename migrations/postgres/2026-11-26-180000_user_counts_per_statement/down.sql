DROP TRIGGER user_counts_insert ON users;
DROP TRIGGER user_counts_delete ON users;
DROP TRIGGER user_counts_update ON users;
DROP FUNCTION user_counts_add_new();
DROP FUNCTION user_counts_remove_old();
DROP FUNCTION user_counts_move();

CREATE FUNCTION user_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE user_counts SET users = users - 1
        WHERE domain_id = OLD.domain_id AND is_system = OLD.is_system AND status = OLD.status;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO user_counts (domain_id, is_system, status, users)
        VALUES (NEW.domain_id, NEW.is_system, NEW.status, 1)
        ON CONFLICT (domain_id, is_system, status) DO UPDATE SET users = user_counts.users + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER user_counts_insert_delete AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION user_counts_follow();
CREATE TRIGGER user_counts_update AFTER UPDATE ON users
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.is_system IS DISTINCT FROM NEW.is_system
          OR OLD.domain_id IS DISTINCT FROM NEW.domain_id)
    EXECUTE FUNCTION user_counts_follow();
