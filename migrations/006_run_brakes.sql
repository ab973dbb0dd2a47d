-- Runaway brakes and sub-agent runs (docs/design.md §2, §12). A call in a tenant without brakes,
-- in a run without a parent, writes nothing new: the added columns stay NULL / 0, no index grows.

-- Sub-agent runs: a child names its parent; depth 0 is a root run, at most 4.
ALTER TABLE runs ADD COLUMN parent_run_id TEXT;
ALTER TABLE runs ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_by_parent ON runs (tenant, parent_run_id) WHERE parent_run_id IS NOT NULL;

-- Every change of a run's ceiling (PATCH /budget/runs/{id}): who, when, from, to.
CREATE TABLE run_limit_changes (
  tenant       TEXT    NOT NULL,
  run_id       TEXT    NOT NULL,
  seq          INTEGER NOT NULL,                -- 1, 2, ... per run
  at_ms        INTEGER NOT NULL,
  changed_by   TEXT    NOT NULL,                -- the key id, or "admin"
  from_micros  INTEGER NOT NULL,
  to_micros    INTEGER NOT NULL,
  PRIMARY KEY (tenant, run_id, seq)
) WITHOUT ROWID;

-- Spend velocity: a run's committed + reserved spend per second of reservation, kept for the
-- trailing window only. A reservation made under the brake records its second; its settlement
-- moves that second's counter exactly as it moves its run scopes' counters.
ALTER TABLE reservations ADD COLUMN velocity_bucket_ms INTEGER;
CREATE TABLE run_velocity (
  tenant     TEXT    NOT NULL,
  run_id     TEXT    NOT NULL,
  bucket_ms  INTEGER NOT NULL,
  micros     INTEGER NOT NULL,
  PRIMARY KEY (tenant, run_id, bucket_ms)
) WITHOUT ROWID;

-- Loop brake: the last step a run sent (its hash) and how many times in a row it repeated.
CREATE TABLE run_steps (
  tenant         TEXT    NOT NULL,
  run_id         TEXT    NOT NULL,
  step_hash      TEXT    NOT NULL,
  repeats        INTEGER NOT NULL,
  updated_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (tenant, run_id)
) WITHOUT ROWID;
