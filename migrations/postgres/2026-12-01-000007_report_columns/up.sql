-- What the reports read about a meeting's request and lead, kept on the request and the
-- meeting themselves, so that no report joins the million-row leads table and no meeting
-- report joins the requests (docs/benchmarks.md). A request and its meeting carry the lead's
-- campaign and source, rewritten in the transaction that changes them on the lead; a meeting
-- also carries its request's meeting type and creation time, which never change.
ALTER TABLE meeting_requests ADD COLUMN lead_campaign TEXT, ADD COLUMN lead_source TEXT;
UPDATE meeting_requests r SET lead_campaign = l.campaign, lead_source = l.source
FROM leads l WHERE l.id = r.lead_id;
ALTER TABLE meetings ADD COLUMN requested_at TIMESTAMP,
    ADD COLUMN meeting_type_id TEXT,
    ADD COLUMN lead_campaign TEXT, ADD COLUMN lead_source TEXT;
UPDATE meetings m SET requested_at = r.created_at, meeting_type_id = r.meeting_type_id,
    lead_campaign = r.lead_campaign, lead_source = r.lead_source
FROM meeting_requests r WHERE r.id = m.meeting_request_id;

-- The covering indexes of the reports, rebuilt over the new columns: meetings by start,
-- requests by creation, and leads by creation within a campaign. No report looks up a
-- request per meeting or a lead by id any more, and the index on the campaign alone is a
-- prefix of the new one.
DROP INDEX meetings_report;
DROP INDEX meeting_requests_report;
DROP INDEX meeting_requests_report_join;
DROP INDEX leads_report_group;
DROP INDEX leads_campaign;
CREATE INDEX meetings_report ON meetings (start_utc, status, requested_at, meeting_type_id, lead_campaign, lead_source, id);
CREATE INDEX meeting_requests_report ON meeting_requests (created_at, meeting_type_id, lead_campaign, lead_source, id);
CREATE INDEX leads_report_campaign ON leads (campaign, created_at, stage, source);
