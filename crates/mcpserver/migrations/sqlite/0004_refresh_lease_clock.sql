-- Refresh leases on the database's clock, to the millisecond (issue 17 items 15 and 16).
-- `db_clock` is the one place each backend says what time it is, so the lease statements
-- are the same SQL text on both. `lease_until` (seconds) is still written, for instances of
-- the previous version during a rolling upgrade.
ALTER TABLE connections ADD COLUMN lease_until_ms BIGINT;
CREATE VIEW db_clock AS SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS now_ms;
