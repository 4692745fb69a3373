-- A person's client grants are listed and revoked (API and CLI): where the client is sent
-- back to (copied from the code's redirect URI, which is swept a day after expiry) and when
-- the grant was last used (an access token on /mcp or a refresh, updated at most once a
-- minute).
ALTER TABLE client_grants ADD COLUMN redirect_uri TEXT;
ALTER TABLE client_grants ADD COLUMN last_used_at BIGINT;
