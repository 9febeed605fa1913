-- Secrets this deployment keeps in its database so every instance shares them: the key that
-- derives the links put in emails (manage, approval, outcome, survey links).
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The transactional outbox: one row per email, written in the transaction of the change that
-- causes it, delivered by the worker. Reminders are rows whose send_after lies ahead.
CREATE TABLE emails (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    meeting_id TEXT REFERENCES meetings (id) ON DELETE CASCADE,
    meeting_request_id TEXT REFERENCES meeting_requests (id) ON DELETE CASCADE,
    recipient_email TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    ics_method TEXT,
    ics TEXT,
    status TEXT NOT NULL,
    send_after TIMESTAMP NOT NULL,
    not_after TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    locked_by TEXT,
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE UNIQUE INDEX emails_dedupe_unique ON emails (dedupe_key);
CREATE INDEX emails_due ON emails (status, send_after);
CREATE INDEX emails_meeting ON emails (meeting_id);
CREATE INDEX emails_request ON emails (meeting_request_id);
