CREATE TABLE connections (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    account_id TEXT NOT NULL,
    display_name TEXT,
    email TEXT,
    workspace_id TEXT,
    workspace_name TEXT,
    workspace_icon TEXT,
    sites TEXT NOT NULL DEFAULT '[]',
    default_site TEXT,
    is_default INTEGER NOT NULL DEFAULT 0,
    meta TEXT NOT NULL DEFAULT '{}',
    access_token BLOB NOT NULL,
    refresh_token BLOB,
    key_id TEXT NOT NULL,
    expires_at BIGINT,
    scope TEXT,
    status TEXT NOT NULL,
    last_refreshed_at BIGINT,
    last_used_at BIGINT,
    next_refresh_at BIGINT,
    lease_owner TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (user_id, provider, account_id)
);
CREATE INDEX connections_by_user ON connections (user_id, provider);
CREATE INDEX connections_by_due ON connections (next_refresh_at) WHERE status = 'active';
CREATE INDEX connections_by_key ON connections (key_id);

CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    return_to TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oauth_states_by_expiry ON oauth_states (expires_at);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    provider TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_user ON audit_events (user_id, id);
CREATE INDEX audit_events_by_time ON audit_events (at);
