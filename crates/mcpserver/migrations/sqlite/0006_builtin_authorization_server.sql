-- The built-in authorization server (MCPSERVER_AUTHORIZATION_SERVER=builtin): MCP clients
-- (registered, or known by their metadata document), the people who signed in through a
-- provider, the consent requests, authorization codes, grants and their tokens. Codes,
-- request ids and tokens are stored as hex SHA-256 only.
CREATE TABLE oauth_clients (
    client_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    client_name TEXT,
    redirect_uris TEXT NOT NULL,
    fetched_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE signin_accounts (
    provider TEXT NOT NULL,
    account_key TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (provider, account_key)
);
CREATE TABLE authorization_requests (
    id_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    request TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX authorization_requests_by_expiry ON authorization_requests (expires_at);
CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    resource TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    grant_id TEXT
);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
CREATE TABLE client_grants (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX client_grants_by_user ON client_grants (user_id);
CREATE TABLE client_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES client_grants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX client_tokens_by_grant ON client_tokens (grant_id);
CREATE INDEX client_tokens_by_expiry ON client_tokens (expires_at);
-- A connect flow's state that signs a person in to an MCP client carries that client's
-- authorization request (JSON); NULL for the hub's connect flows.
ALTER TABLE oauth_states ADD COLUMN signin TEXT;
