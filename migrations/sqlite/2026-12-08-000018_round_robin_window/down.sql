ALTER TABLE meeting_types DROP COLUMN round_robin_window_days;
