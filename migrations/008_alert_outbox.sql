-- Threshold alerts (docs/design.md §12): when a run's committed spend first reaches a configured
-- fraction of its ceiling, the commit's own transaction writes one row here; a background
-- deliverer POSTs it and marks it delivered. A row per (run, threshold, ceiling) is also what
-- keeps a threshold from firing twice for the same ceiling (a changed ceiling re-arms it).
CREATE TABLE alert_outbox (
  id                  INTEGER PRIMARY KEY,
  tenant              TEXT    NOT NULL,
  run_id              TEXT    NOT NULL,
  key_id              TEXT    NOT NULL,
  threshold_bp        INTEGER NOT NULL,          -- the fraction in basis points: 8000 = 0.8
  limit_micros        INTEGER NOT NULL,          -- the ceiling it was crossed against
  committed_micros    INTEGER NOT NULL,          -- the run's committed spend right after the crossing
  crossed_at_ms       INTEGER NOT NULL,
  attempts            INTEGER NOT NULL DEFAULT 0,
  next_attempt_at_ms  INTEGER NOT NULL,
  last_error          TEXT,
  delivered_at_ms     INTEGER,                   -- set on a 2xx (or when delivery was given up: see outcome)
  outcome             TEXT CHECK (outcome IN ('delivered', 'dropped')),
  UNIQUE (tenant, run_id, threshold_bp, limit_micros)
);

-- The deliverer's work list: undelivered rows by their next attempt.
CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at_ms) WHERE outcome IS NULL;
