-- A host's link to their Google or Microsoft calendar. Tokens are sealed with AES-256-GCM
-- before they reach the database (see docs/calendars.md); the row never holds them in clear.
CREATE TABLE calendar_connections (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    provider TEXT NOT NULL CHECK (provider IN ('google', 'microsoft')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'error')),
    account_email TEXT,
    access_token TEXT,
    refresh_token TEXT,
    access_expires_at TIMESTAMP,
    scopes TEXT NOT NULL DEFAULT '',
    last_synced_at TIMESTAMP,
    last_error TEXT,
    -- The span the stored busy times cover, and when they were read.
    busy_from TIMESTAMP,
    busy_to TIMESTAMP,
    busy_read_at TIMESTAMP,
    -- Why the calendar cannot be read right now; NULL while it can.
    read_error TEXT,
    -- When the host and managers were told it cannot be read; cleared once it can again.
    alerted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, provider)
);

-- One authorization in flight: the hash of its `state` and its sealed PKCE verifier.
CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY NOT NULL,
    connection_id TEXT NOT NULL REFERENCES calendar_connections (id) ON DELETE CASCADE,
    code_verifier TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Busy times last read from a connected calendar, shared by every instance.
CREATE TABLE calendar_busy (
    connection_id TEXT NOT NULL REFERENCES calendar_connections (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    start_utc TIMESTAMP NOT NULL,
    end_utc TIMESTAMP NOT NULL,
    PRIMARY KEY (connection_id, start_utc, end_utc)
);
CREATE INDEX calendar_busy_by_user ON calendar_busy (user_id, start_utc, end_utc);

-- A meeting's event in one host's calendar. A change to the meeting bumps `version` and sets
-- `next_attempt_at`; the worker writes the event and records the version it wrote, so a
-- provider outage delays the write but never loses it.
CREATE TABLE calendar_events (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    provider TEXT NOT NULL,
    external_id TEXT,
    removed BOOLEAN NOT NULL DEFAULT 0,
    version INTEGER NOT NULL,
    synced_version INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    locked_by TEXT,
    locked_until TIMESTAMP,
    synced_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (meeting_id, user_id, provider)
);
CREATE INDEX calendar_events_due ON calendar_events (next_attempt_at);

-- Calendar busy time and a calendar becoming readable or not move slots.
CREATE TRIGGER calendar_busy_insert_moves_availability AFTER INSERT ON calendar_busy
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER calendar_busy_delete_moves_availability AFTER DELETE ON calendar_busy
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER calendar_connections_insert_moves_availability AFTER INSERT ON calendar_connections
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER calendar_connections_update_moves_availability
AFTER UPDATE OF status, read_error, access_token ON calendar_connections
WHEN OLD.status IS NOT NEW.status OR OLD.read_error IS NOT NEW.read_error
    OR (OLD.access_token IS NULL) <> (NEW.access_token IS NULL)
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER calendar_connections_delete_moves_availability AFTER DELETE ON calendar_connections
BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END;
