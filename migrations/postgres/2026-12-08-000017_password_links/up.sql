-- Single-use links that let a user set a password: an invitation (72 h) or a reset (1 h).
-- Only the SHA-256 of the token is kept; `used_at` is set when the link is used, and a newer
-- link for the same user and purpose does not revive an older one.
CREATE TABLE password_links (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX password_links_user ON password_links (user_id);
