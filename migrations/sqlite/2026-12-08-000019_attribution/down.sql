ALTER TABLE meeting_requests DROP COLUMN attribution;
ALTER TABLE leads DROP COLUMN last_touch;
ALTER TABLE leads DROP COLUMN first_touch;
