-- Every change that matters outside Convene, in the order the changes committed: `seq` is the
-- cursor of GET /api/v1/events and of every subscriber. `data` is the JSON of the resource as
-- the API's GET returned it when the change happened.
CREATE TABLE events (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    subject_id TEXT,
    data TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX events_by_type ON events (event_type, seq);
CREATE INDEX events_by_time ON events (occurred_at);
