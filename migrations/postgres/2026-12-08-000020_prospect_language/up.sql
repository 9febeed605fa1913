-- The language the prospect booked in: every later email to them is written in it.
ALTER TABLE meeting_requests ADD COLUMN prospect_language TEXT NOT NULL DEFAULT 'en';
