-- One sign-in with the company's OpenID provider in flight: the hash of its `state`, the hash
-- of the browser cookie it is bound to, its nonce and PKCE verifier, and where to go after.
-- A row is deleted when its callback arrives, so a state works once.
CREATE TABLE sso_sign_ins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    return_to TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sso_sign_ins_expiry ON sso_sign_ins (expires_at);
