-- Busy time as availability reads it: each host's row of a meeting carries the meeting's status
-- and its times as whole UTC seconds since the epoch (the start rounded down, the end up, as the
-- availability engine reads them). One covering index then answers "what keeps these hosts busy
-- around this window" without visiting the meetings (docs/benchmarks.md). A meeting that reaches
-- into the window starts at most the longest meeting's length before it, which the index on the
-- length finds at once: the scan reads the window's starts only, never the hosts' past or later
-- future.
--
-- Triggers keep the copies: an inserted host row takes them from its meeting, and a change of a
-- meeting's status or times rewrites them on its host rows.
ALTER TABLE meeting_hosts
    ADD COLUMN meeting_status TEXT,
    ADD COLUMN start_second BIGINT,
    ADD COLUMN end_second BIGINT;
UPDATE meeting_hosts h SET
    meeting_status = m.status,
    start_second = floor(extract(epoch FROM m.start_utc))::bigint,
    end_second = ceil(extract(epoch FROM m.end_utc))::bigint
FROM meetings m WHERE m.id = h.meeting_id;
ALTER TABLE meeting_hosts
    ALTER COLUMN meeting_status SET NOT NULL,
    ALTER COLUMN start_second SET NOT NULL,
    ALTER COLUMN end_second SET NOT NULL;

DROP INDEX meeting_hosts_user;
CREATE INDEX meeting_hosts_busy ON meeting_hosts (user_id, start_second, end_second, meeting_status, meeting_id);
CREATE INDEX meeting_hosts_length ON meeting_hosts ((end_second - start_second));

CREATE FUNCTION copy_meeting_to_host_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT m.status, floor(extract(epoch FROM m.start_utc))::bigint, ceil(extract(epoch FROM m.end_utc))::bigint
    INTO NEW.meeting_status, NEW.start_second, NEW.end_second
    FROM meetings m WHERE m.id = NEW.meeting_id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER meeting_hosts_copy_meeting BEFORE INSERT ON meeting_hosts
    FOR EACH ROW EXECUTE FUNCTION copy_meeting_to_host_row();

CREATE FUNCTION copy_meeting_to_host_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE meeting_hosts SET
        meeting_status = NEW.status,
        start_second = floor(extract(epoch FROM NEW.start_utc))::bigint,
        end_second = ceil(extract(epoch FROM NEW.end_utc))::bigint
    WHERE meeting_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER meetings_copy_to_hosts AFTER UPDATE OF status, start_utc, end_utc ON meetings
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.start_utc IS DISTINCT FROM NEW.start_utc
        OR OLD.end_utc IS DISTINCT FROM NEW.end_utc)
    EXECUTE FUNCTION copy_meeting_to_host_rows();
