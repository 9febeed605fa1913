ALTER TABLE meeting_types ADD COLUMN round_robin_window_days INTEGER NOT NULL DEFAULT 30;
