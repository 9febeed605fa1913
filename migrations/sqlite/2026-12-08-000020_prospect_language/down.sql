ALTER TABLE meeting_requests DROP COLUMN prospect_language;
