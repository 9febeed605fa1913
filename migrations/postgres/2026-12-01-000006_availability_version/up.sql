-- A counter bumped in the same transaction as every change that can move a bookable slot, so
-- an instance can keep slots answers in memory and see, with one lookup, whether any instance
-- changed hosts, meetings, meeting types or links since. The bump locks the one row until the
-- change commits, so versions follow commit order and a reader that reads the version before
-- the data never pairs an old version's number with newer data it cannot see.
CREATE TABLE availability_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO availability_version (id, version) VALUES (1, 0);

-- Once per statement, and only when it changed rows: a conditional update that matched
-- nothing (a lost race, an idle worker round) neither invalidates caches nor takes the lock.
CREATE FUNCTION bump_availability_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_rows) THEN
        UPDATE availability_version SET version = version + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END;
$$;

-- A trigger with a transition table takes one event, hence three per table.

-- Busy time: meetings, their hosts and the hosts' claimed blocks.
CREATE TRIGGER meetings_insert_moves_availability AFTER INSERT ON meetings
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER meetings_update_moves_availability AFTER UPDATE ON meetings
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER meetings_delete_moves_availability AFTER DELETE ON meetings
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER meeting_hosts_insert_moves_availability AFTER INSERT ON meeting_hosts
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER meeting_hosts_update_moves_availability AFTER UPDATE ON meeting_hosts
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER meeting_hosts_delete_moves_availability AFTER DELETE ON meeting_hosts
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER host_time_blocks_insert_moves_availability AFTER INSERT ON host_time_blocks
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER host_time_blocks_update_moves_availability AFTER UPDATE ON host_time_blocks
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER host_time_blocks_delete_moves_availability AFTER DELETE ON host_time_blocks
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();

-- Who hosts a meeting type, and its rules.
CREATE TRIGGER meeting_type_hosts_insert_moves_availability AFTER INSERT ON meeting_type_hosts
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER meeting_type_hosts_update_moves_availability AFTER UPDATE ON meeting_type_hosts
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER meeting_type_hosts_delete_moves_availability AFTER DELETE ON meeting_type_hosts
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER meeting_types_update_moves_availability AFTER UPDATE ON meeting_types
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER meeting_types_delete_moves_availability AFTER DELETE ON meeting_types
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();

-- Hosts' working hours, zones and whether they are active.
CREATE TRIGGER users_update_moves_availability AFTER UPDATE ON users
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER users_delete_moves_availability AFTER DELETE ON users
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();

-- Whether a link can be booked through: turned off or used up (expiry is checked by time).
CREATE TRIGGER booking_links_update_moves_availability AFTER UPDATE ON booking_links
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
CREATE TRIGGER booking_links_delete_moves_availability AFTER DELETE ON booking_links
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_availability_version();
