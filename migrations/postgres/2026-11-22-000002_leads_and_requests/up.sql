CREATE TABLE leads (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    external_id TEXT,
    name TEXT NOT NULL,
    company TEXT,
    title TEXT,
    phone TEXT,
    source TEXT,
    campaign TEXT,
    timezone TEXT,
    bant_budget BOOLEAN NOT NULL DEFAULT FALSE,
    bant_authority BOOLEAN NOT NULL DEFAULT FALSE,
    bant_need BOOLEAN NOT NULL DEFAULT FALSE,
    bant_timing TEXT NOT NULL DEFAULT 'unknown',
    attributes TEXT NOT NULL DEFAULT '{}',
    score INTEGER NOT NULL,
    temperature TEXT NOT NULL,
    stage TEXT NOT NULL,
    score_explanation TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX leads_email_unique ON leads (email);
CREATE UNIQUE INDEX leads_external_id_unique ON leads (external_id);
CREATE INDEX leads_created ON leads (created_at, id);
CREATE INDEX leads_stage ON leads (stage);
CREATE INDEX leads_campaign ON leads (campaign);

CREATE TABLE meeting_types (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    host_mode TEXT NOT NULL,
    buffer_before_minutes INTEGER NOT NULL,
    buffer_after_minutes INTEGER NOT NULL,
    min_notice_minutes INTEGER NOT NULL,
    max_days_ahead INTEGER NOT NULL,
    slot_step_minutes INTEGER NOT NULL,
    max_per_day_per_host INTEGER,
    requires_approval BOOLEAN NOT NULL,
    auto_approve_min_score INTEGER,
    min_lead_score INTEGER,
    location TEXT,
    survey BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX meeting_types_slug_unique ON meeting_types (slug);

CREATE TABLE meeting_type_hosts (
    meeting_type_id TEXT NOT NULL REFERENCES meeting_types (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (meeting_type_id, user_id)
);

CREATE TABLE meeting_requests (
    id TEXT PRIMARY KEY NOT NULL,
    lead_id TEXT NOT NULL REFERENCES leads (id),
    meeting_type_id TEXT NOT NULL REFERENCES meeting_types (id),
    status TEXT NOT NULL,
    notes TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX meeting_requests_status ON meeting_requests (status, created_at);
CREATE INDEX meeting_requests_lead ON meeting_requests (lead_id);

CREATE TABLE meeting_request_hosts (
    meeting_request_id TEXT NOT NULL REFERENCES meeting_requests (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (meeting_request_id, user_id)
);
CREATE INDEX meeting_request_hosts_user ON meeting_request_hosts (user_id);
