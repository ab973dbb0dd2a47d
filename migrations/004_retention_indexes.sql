-- runcap ledger schema v4: indexes for retention pruning (docs/ledger.md "Retention"), so
-- the sweeper finds what the retention window no longer needs without scanning a table.
-- No table changes.

-- Runs idle since before the cutoff.
CREATE INDEX runs_by_last_activity ON runs (last_activity_at_ms);

-- Window buckets, by the start of their window (written once, when a bucket is created).
CREATE INDEX scopes_by_window_start ON scopes (window_start_ms) WHERE window_start_ms IS NOT NULL;

-- Attribution-only scopes (no ceiling, no window: feature tags), by last use.
CREATE INDEX scopes_unlimited_by_update ON scopes (updated_at_ms)
  WHERE limit_micros IS NULL AND scope_window = 'none' AND scope_type <> 'run';
