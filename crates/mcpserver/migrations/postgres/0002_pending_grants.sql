CREATE TABLE pending_grants (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    return_to TEXT,
    sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pending_grants_by_expiry ON pending_grants (expires_at);
