CREATE TABLE booking_links (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    meeting_type_id TEXT NOT NULL REFERENCES meeting_types (id),
    lead_id TEXT REFERENCES leads (id),
    expires_at TIMESTAMP,
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX booking_links_slug_unique ON booking_links (slug);

CREATE TABLE meetings (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_request_id TEXT NOT NULL REFERENCES meeting_requests (id),
    status TEXT NOT NULL,
    start_utc TIMESTAMP NOT NULL,
    end_utc TIMESTAMP NOT NULL,
    prospect_timezone TEXT NOT NULL,
    ics_uid TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    location TEXT,
    manage_token_hash TEXT,
    booking_link_id TEXT REFERENCES booking_links (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX meetings_request_unique ON meetings (meeting_request_id);
CREATE UNIQUE INDEX meetings_manage_token_unique ON meetings (manage_token_hash);
CREATE INDEX meetings_start ON meetings (start_utc);

CREATE TABLE meeting_hosts (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (meeting_id, user_id)
);
CREATE INDEX meeting_hosts_user ON meeting_hosts (user_id);

-- One row per host per five-minute block a live meeting (or held slot) covers. The primary key
-- is what makes double-booking impossible, on every backend and across every instance.
CREATE TABLE host_time_blocks (
    user_id TEXT NOT NULL REFERENCES users (id),
    block_start TIMESTAMP NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, block_start)
);
CREATE INDEX host_time_blocks_meeting ON host_time_blocks (meeting_id);
