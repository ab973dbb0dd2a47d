-- Fewer index entries written per call (docs/ledger.md "What one call writes"). No table changes.

-- Nothing reads reservation_scopes by scope key: every read goes by reservation id (its primary
-- key). The index cost one entry at a random place per scope of every reserve.
DROP INDEX reservation_scopes_by_scope;

-- Expiry sweeps read live holds only: index those alone, by expiry. A settlement then deletes
-- the row's entry instead of moving it, and settled rows (nearly all of them) are not indexed.
DROP INDEX reservations_due;
CREATE INDEX reservations_live_due ON reservations (expires_at_ms) WHERE state IN ('reserved', 'forwarded');
