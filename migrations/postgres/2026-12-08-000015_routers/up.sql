-- Inbound routers. A router's current rules live on its row; every change also writes the
-- version it makes to router_versions, so a decision can always be read against the rules it
-- used. A deleted router keeps its rows (its decisions refer to it) and frees its slug.
CREATE TABLE routers (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    -- JSON: the rules array and the fallback action, as the API shows them.
    rules TEXT NOT NULL,
    fallback TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX routers_live_slug ON routers (slug) WHERE deleted_at IS NULL;

CREATE TABLE router_versions (
    router_id TEXT NOT NULL REFERENCES routers (id),
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    rules TEXT NOT NULL,
    fallback TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (router_id, version)
);

-- Weighted round robin: a host's weight (0..100) and priority (0..3) for one meeting type.
-- Hosts without a row count with the defaults (weight 50, priority 1).
CREATE TABLE meeting_type_host_weights (
    meeting_type_id TEXT NOT NULL REFERENCES meeting_types (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    weight INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 100),
    priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),
    PRIMARY KEY (meeting_type_id, user_id)
);

-- One decision of a router, with its explanation (evaluations, candidates, reason) as JSON.
CREATE TABLE routings (
    id TEXT PRIMARY KEY NOT NULL,
    router_id TEXT NOT NULL REFERENCES routers (id),
    router_version INTEGER NOT NULL,
    lead_id TEXT NOT NULL REFERENCES leads (id),
    decision TEXT NOT NULL CHECK (decision IN ('book', 'request', 'disqualified')),
    -- A rule index counted from 0, or 'fallback'.
    matched_rule TEXT NOT NULL,
    explanation TEXT NOT NULL,
    meeting_type_id TEXT REFERENCES meeting_types (id),
    -- JSON array of the hosts the lead may book with.
    host_ids TEXT NOT NULL,
    booking_link_id TEXT REFERENCES booking_links (id),
    meeting_request_id TEXT REFERENCES meeting_requests (id),
    booked_at TIMESTAMP,
    -- The follow-up email to a lead who has not booked: claimed by setting follow_up_sent_at
    -- in the transaction that queues it, so it is sent once whatever the instances.
    follow_up_due_at TIMESTAMP,
    follow_up_sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX routings_router ON routings (router_id, created_at);
CREATE INDEX routings_lead ON routings (lead_id);
CREATE UNIQUE INDEX routings_booking_link ON routings (booking_link_id);
CREATE INDEX routings_follow_up ON routings (follow_up_due_at) WHERE follow_up_sent_at IS NULL;

-- The assignment ledger: every meeting a routed booking gave a host, which the weighted round
-- robin balances. owner_routed marks those given to the account's owner.
CREATE TABLE round_robin_assignments (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_type_id TEXT NOT NULL REFERENCES meeting_types (id) ON DELETE CASCADE,
    host_id TEXT NOT NULL REFERENCES users (id),
    routing_id TEXT REFERENCES routings (id),
    meeting_request_id TEXT REFERENCES meeting_requests (id),
    owner_routed BOOLEAN NOT NULL,
    assigned_at TIMESTAMP NOT NULL
);
CREATE INDEX round_robin_assignments_window ON round_robin_assignments (meeting_type_id, assigned_at);

-- The user who owns a lead (and so its company's account, by email domain).
ALTER TABLE leads ADD COLUMN owner_id TEXT REFERENCES users (id);
CREATE INDEX leads_owner ON leads (owner_id) WHERE owner_id IS NOT NULL;
