DROP TABLE host_time_blocks;
DROP TABLE meeting_hosts;
DROP TABLE meetings;
DROP TABLE booking_links;
