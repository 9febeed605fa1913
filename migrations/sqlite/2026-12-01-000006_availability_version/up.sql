-- A counter bumped in the same transaction as every change that can move a bookable slot, so
-- an instance can keep slots answers in memory and see, with one lookup, whether any instance
-- changed hosts, meetings, meeting types or links since.
CREATE TABLE availability_version (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO availability_version (id, version) VALUES (1, 0);

-- Busy time: meetings, their hosts and the hosts' claimed blocks.
CREATE TRIGGER meetings_insert_moves_availability AFTER INSERT ON meetings
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meetings_update_moves_availability AFTER UPDATE ON meetings
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meetings_delete_moves_availability AFTER DELETE ON meetings
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER meeting_hosts_insert_moves_availability AFTER INSERT ON meeting_hosts
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_hosts_update_moves_availability AFTER UPDATE ON meeting_hosts
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_hosts_delete_moves_availability AFTER DELETE ON meeting_hosts
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER host_time_blocks_insert_moves_availability AFTER INSERT ON host_time_blocks
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER host_time_blocks_update_moves_availability AFTER UPDATE ON host_time_blocks
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER host_time_blocks_delete_moves_availability AFTER DELETE ON host_time_blocks
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;

-- Who hosts a meeting type, and its rules.
CREATE TRIGGER meeting_type_hosts_insert_moves_availability AFTER INSERT ON meeting_type_hosts
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_type_hosts_update_moves_availability AFTER UPDATE ON meeting_type_hosts
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_type_hosts_delete_moves_availability AFTER DELETE ON meeting_type_hosts
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER meeting_types_update_moves_availability AFTER UPDATE ON meeting_types
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meeting_types_delete_moves_availability AFTER DELETE ON meeting_types
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;

-- Hosts' working hours, zones and whether they are active.
CREATE TRIGGER users_update_moves_availability AFTER UPDATE ON users
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER users_delete_moves_availability AFTER DELETE ON users
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;

-- Whether a link can be booked through: turned off or used up (expiry is checked by time).
CREATE TRIGGER booking_links_update_moves_availability AFTER UPDATE ON booking_links
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER booking_links_delete_moves_availability AFTER DELETE ON booking_links
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
