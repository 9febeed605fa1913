-- The CRM copy of each Convene record that is pushed: a lead (person), a meeting, an outcome's
-- opportunity (deal) or a survey answer (note). One row per record and CRM, so the worker always
-- pushes the record as it now is and a later change never overtakes an earlier one. `version`
-- goes up with every change, `synced_version` is the one the CRM holds. Claimed under a lease
-- (locked_by, locked_until) like calendar writes; every claim counts as an attempt.
CREATE TABLE crm_records (
    id TEXT PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'meeting', 'deal', 'note')),
    record_id TEXT NOT NULL,
    -- The lead the record belongs to: its person is pushed before anything about it.
    lead_id TEXT NOT NULL,
    external_id TEXT,
    -- Salesforce: `Lead` or `Contact` for a person; NULL elsewhere.
    external_type TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'synced', 'retrying', 'parked')),
    version INTEGER NOT NULL DEFAULT 1,
    synced_version INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    last_error TEXT,
    locked_by TEXT,
    locked_until TIMESTAMP,
    synced_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (provider, kind, record_id)
);
CREATE INDEX crm_records_due ON crm_records (next_attempt_at);
CREATE INDEX crm_records_by_lead ON crm_records (lead_id);

-- Who owns a person or a company domain in the CRM, as last pulled: `match_key` is an email address
-- (kind `email`) or a domain (kind `domain`), `owner_email` the CRM user's address.
CREATE TABLE crm_owners (
    provider TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('email', 'domain')),
    match_key TEXT NOT NULL,
    owner_email TEXT NOT NULL,
    refreshed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, kind, match_key)
);

-- When the owners were last pulled, and why the last pull failed.
CREATE TABLE crm_owner_pulls (
    provider TEXT PRIMARY KEY NOT NULL,
    pulled_at TIMESTAMP,
    last_error TEXT,
    updated_at TIMESTAMP NOT NULL
);
