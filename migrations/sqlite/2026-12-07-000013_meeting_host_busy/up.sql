-- Busy time as availability reads it: each host's row of a meeting carries the meeting's status
-- and its times as whole UTC seconds since the epoch (the start rounded down, the end up, as the
-- availability engine reads them). One covering index then answers "what keeps these hosts busy
-- around this window" without visiting the meetings, and without parsing a timestamp per
-- meeting (docs/benchmarks.md). A meeting that reaches into the window starts at most the
-- longest meeting's length before it, which the index on the length finds at once: the scan
-- reads the window's starts only, never the hosts' past or later future.
--
-- Triggers keep the copies: an inserted host row takes them from its meeting, and a change of a
-- meeting's status or times rewrites them on its host rows. SQLite needs a default to add a NOT
-- NULL column; the insert trigger replaces it within the inserting statement.
ALTER TABLE meeting_hosts ADD COLUMN meeting_status TEXT NOT NULL DEFAULT '';
ALTER TABLE meeting_hosts ADD COLUMN start_second BIGINT NOT NULL DEFAULT 0;
ALTER TABLE meeting_hosts ADD COLUMN end_second BIGINT NOT NULL DEFAULT 0;
UPDATE meeting_hosts SET (meeting_status, start_second, end_second) = (
    SELECT m.status, unixepoch(m.start_utc),
        unixepoch(m.end_utc) + (length(m.end_utc) > 19 AND CAST(substr(m.end_utc, 21) AS INTEGER) > 0)
    FROM meetings m WHERE m.id = meeting_hosts.meeting_id
);

DROP INDEX meeting_hosts_user;
CREATE INDEX meeting_hosts_busy ON meeting_hosts (user_id, start_second, end_second, meeting_status, meeting_id);
CREATE INDEX meeting_hosts_length ON meeting_hosts ((end_second - start_second));

-- Timestamps are text here (`YYYY-MM-DD HH:MM:SS[.fraction]`): a non-zero fraction adds a
-- second to the end.
CREATE TRIGGER meeting_hosts_copy_meeting AFTER INSERT ON meeting_hosts
BEGIN
    UPDATE meeting_hosts SET (meeting_status, start_second, end_second) = (
        SELECT m.status, unixepoch(m.start_utc),
            unixepoch(m.end_utc) + (length(m.end_utc) > 19 AND CAST(substr(m.end_utc, 21) AS INTEGER) > 0)
        FROM meetings m WHERE m.id = NEW.meeting_id
    )
    WHERE meeting_id = NEW.meeting_id AND user_id = NEW.user_id;
END;

CREATE TRIGGER meetings_copy_to_hosts AFTER UPDATE OF status, start_utc, end_utc ON meetings
WHEN OLD.status IS NOT NEW.status OR OLD.start_utc IS NOT NEW.start_utc OR OLD.end_utc IS NOT NEW.end_utc
BEGIN
    UPDATE meeting_hosts SET
        meeting_status = NEW.status,
        start_second = unixepoch(NEW.start_utc),
        end_second = unixepoch(NEW.end_utc)
            + (length(NEW.end_utc) > 19 AND CAST(substr(NEW.end_utc, 21) AS INTEGER) > 0)
    WHERE meeting_id = NEW.id;
END;
