-- What happened at a meeting, recorded by its host or a manager. One row per meeting; a
-- corrected outcome overwrites it (the audit log keeps the trail).
CREATE TABLE meeting_outcomes (
    meeting_id TEXT PRIMARY KEY NOT NULL REFERENCES meetings (id),
    status TEXT NOT NULL,
    notes TEXT,
    next_step TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);

-- The opportunity a meeting created. Money is in minor units of its currency.
CREATE TABLE opportunities (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    stage TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX opportunities_meeting_unique ON opportunities (meeting_id);

-- Every stage (or amount) an opportunity has had, so a later closed_won keeps its history.
CREATE TABLE opportunity_stage_changes (
    id TEXT PRIMARY KEY NOT NULL,
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX opportunity_stage_changes_opportunity ON opportunity_stage_changes (opportunity_id, changed_at);

-- A survey link sent to one person about one meeting; the token is stored only as its hash.
CREATE TABLE survey_invitations (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    recipient TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX survey_invitations_token_unique ON survey_invitations (token_hash);
CREATE INDEX survey_invitations_meeting ON survey_invitations (meeting_id);

-- At most one answer per invitation: the primary key makes a second answer a conflict.
CREATE TABLE survey_responses (
    invitation_id TEXT PRIMARY KEY NOT NULL REFERENCES survey_invitations (id),
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    rating INTEGER NOT NULL,
    buyer_intent TEXT NOT NULL,
    comments TEXT,
    answered_at TIMESTAMP NOT NULL
);
CREATE INDEX survey_responses_meeting ON survey_responses (meeting_id, rating);

-- Covering indexes for the reports (docs/benchmarks.md): each report query reads its rows
-- from an index alone — meetings by start, requests and leads by creation, and the request,
-- lead and approval looked up per meeting — instead of from the tables.
CREATE INDEX meetings_report ON meetings (start_utc, status, meeting_request_id, id);
CREATE INDEX meeting_requests_report ON meeting_requests (created_at, meeting_type_id, lead_id, id);
CREATE INDEX meeting_requests_report_join ON meeting_requests (id, lead_id, meeting_type_id, created_at);
CREATE INDEX leads_report ON leads (created_at, stage, campaign, source);
CREATE INDEX leads_report_group ON leads (id, campaign, source);
CREATE INDEX audit_log_reached ON audit_log (to_status, entity_type, entity_id, from_status, at);
