DROP TRIGGER meetings_copy_to_hosts;
DROP TRIGGER meeting_hosts_copy_meeting;
DROP INDEX meeting_hosts_length;
DROP INDEX meeting_hosts_busy;
CREATE INDEX meeting_hosts_user ON meeting_hosts (user_id);
ALTER TABLE meeting_hosts DROP COLUMN end_second;
ALTER TABLE meeting_hosts DROP COLUMN start_second;
ALTER TABLE meeting_hosts DROP COLUMN meeting_status;
