-- The budget plane's listings (docs/api.md): runs newest activity first, and one run's decisions in
-- order. A decision record gains the run it was made in; records written before this migration
-- have none and are not listed under a run.

-- GET /budget/runs: a tenant's runs, or one key's, by last activity (state filtered while scanning).
CREATE INDEX runs_by_tenant_activity ON runs (tenant, last_activity_at_ms, run_id);
CREATE INDEX runs_by_key_activity ON runs (tenant, key_id, last_activity_at_ms, run_id);

-- GET /budget/runs/{id}/calls: one run's decisions by creation time.
ALTER TABLE decisions ADD COLUMN run_id TEXT;
CREATE INDEX decisions_by_run ON decisions (tenant, run_id, created_at_ms, id) WHERE run_id IS NOT NULL;
