-- runcap ledger schema v2: indexes for the budget plane (GET /budget/runs/{id} spend by
-- run, and the runcap_active_runs gauge). No table changes.

-- Spend of one run: its reservations without scanning every settled row.
CREATE INDEX reservations_by_run ON reservations (tenant, run_id) WHERE run_id IS NOT NULL;

-- Active runs (open and used within their idle TTL), counted by a range scan.
CREATE INDEX runs_active_until ON runs (last_activity_at_ms + idle_ttl_ms) WHERE state = 'open';
