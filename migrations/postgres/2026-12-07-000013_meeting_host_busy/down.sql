DROP TRIGGER meetings_copy_to_hosts ON meetings;
DROP FUNCTION copy_meeting_to_host_rows();
DROP TRIGGER meeting_hosts_copy_meeting ON meeting_hosts;
DROP FUNCTION copy_meeting_to_host_row();
DROP INDEX meeting_hosts_length;
DROP INDEX meeting_hosts_busy;
CREATE INDEX meeting_hosts_user ON meeting_hosts (user_id);
ALTER TABLE meeting_hosts
    DROP COLUMN end_second,
    DROP COLUMN start_second,
    DROP COLUMN meeting_status;
