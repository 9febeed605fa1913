DROP INDEX meeting_requests_report;
ALTER TABLE meeting_requests DROP COLUMN approved_from_pending;
ALTER TABLE meeting_requests DROP COLUMN approved_at;
CREATE INDEX meeting_requests_report ON meeting_requests (created_at, meeting_type_id, lead_campaign, lead_source, id);
CREATE INDEX audit_log_reached ON audit_log (to_status, entity_type, entity_id, from_status, at);
