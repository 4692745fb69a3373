-- A state is created when the browser opens the connect link (not when the link is made),
-- bound to that browser (hash of its connect cookie), and marked used instead of deleted, so
-- a link opened again after its callback is refused rather than starting a second flow.
-- States from before this migration have no browser and can no longer complete: start again.
ALTER TABLE oauth_states ADD COLUMN browser_hash TEXT;
ALTER TABLE oauth_states ADD COLUMN used_at BIGINT;
