-- A touch is a JSON object (UTMs, referrer, landing page, when); NULL when there is none.
ALTER TABLE leads ADD COLUMN first_touch TEXT;
ALTER TABLE leads ADD COLUMN last_touch TEXT;
ALTER TABLE meeting_requests ADD COLUMN attribution TEXT;
