-- When a request was approved, and whether a manager approved it (from pending approval)
-- rather than the rules at submission, kept on the request so the funnel counts approvals
-- and the time they took without joining the audit log (docs/benchmarks.md). The audit log
-- stays the record; these copy its approval step, written in the same transaction.
ALTER TABLE meeting_requests ADD COLUMN approved_at TIMESTAMP;
ALTER TABLE meeting_requests ADD COLUMN approved_from_pending BOOLEAN NOT NULL DEFAULT false;
UPDATE meeting_requests SET
    approved_at = (SELECT MIN(a.at) FROM audit_log a
                   WHERE a.entity_type = 'meeting_request' AND a.entity_id = meeting_requests.id
                     AND a.to_status = 'approved'),
    approved_from_pending = EXISTS (SELECT 1 FROM audit_log a
                   WHERE a.entity_type = 'meeting_request' AND a.entity_id = meeting_requests.id
                     AND a.to_status = 'approved' AND a.from_status = 'pending_approval');

-- No query reads the audit log by the status reached any more; the backfill above was its
-- last use, and every audit row would keep paying for it.
DROP INDEX audit_log_reached;

DROP INDEX meeting_requests_report;
CREATE INDEX meeting_requests_report ON meeting_requests
    (created_at, meeting_type_id, lead_campaign, lead_source, approved_at, approved_from_pending, id);
