-- runcap ledger schema v1 (SPEC §3): scope counters, reservations and their scopes,
-- runs, decision records. Money columns are integer micro-USD; times are epoch ms.

CREATE TABLE scopes (
  tenant            TEXT    NOT NULL,
  scope_key         TEXT    NOT NULL,            -- windows.ts scopeKey: type|window|bucket|id
  scope_type        TEXT    NOT NULL,
  scope_id          TEXT    NOT NULL,
  scope_window      TEXT    NOT NULL,
  window_start_ms   INTEGER,                     -- null for window "none"
  limit_micros      INTEGER,                     -- latest limit seen; null = attribution only
  mode              TEXT    NOT NULL,            -- latest mode seen
  committed_micros  INTEGER NOT NULL DEFAULT 0,
  reserved_micros   INTEGER NOT NULL DEFAULT 0,
  updated_at_ms     INTEGER NOT NULL,
  PRIMARY KEY (tenant, scope_key)
) WITHOUT ROWID;

CREATE TABLE reservations (
  id                   TEXT    NOT NULL PRIMARY KEY,
  tenant               TEXT    NOT NULL,
  decision_id          TEXT    NOT NULL,
  amount_micros        INTEGER NOT NULL CHECK (amount_micros >= 0),
  state                TEXT    NOT NULL CHECK (state IN ('reserved', 'forwarded', 'committed', 'released', 'expired', 'reconciled')),
  model                TEXT    NOT NULL,
  price_table_version  TEXT    NOT NULL,
  idempotency_key      TEXT,
  run_id               TEXT,
  key_id               TEXT    NOT NULL,
  user_id              TEXT,
  team_id              TEXT,
  feature              TEXT,
  endpoint             TEXT    NOT NULL,
  created_at_ms        INTEGER NOT NULL,
  expires_at_ms        INTEGER NOT NULL,
  settled_at_ms        INTEGER,
  actual_micros        INTEGER,                  -- what was charged; null while live, released, or expired uncharged
  overrun_micros       INTEGER NOT NULL DEFAULT 0,
  usage_source         TEXT,
  input_tokens         INTEGER,
  output_tokens        INTEGER,
  cached_input_tokens  INTEGER,
  reasoning_tokens     INTEGER
);

-- The same Idempotency-Key never has two live holds in one tenant.
CREATE UNIQUE INDEX reservations_live_idempotency
  ON reservations (tenant, idempotency_key)
  WHERE idempotency_key IS NOT NULL AND state IN ('reserved', 'forwarded');

-- Expiry sweeps: live states ordered by expiry.
CREATE INDEX reservations_due ON reservations (state, expires_at_ms);

-- Spend queries: settled rows by settlement time.
CREATE INDEX reservations_settled ON reservations (settled_at_ms) WHERE settled_at_ms IS NOT NULL;

CREATE TABLE reservation_scopes (
  reservation_id  TEXT    NOT NULL REFERENCES reservations (id),
  position        INTEGER NOT NULL,
  scope_key       TEXT    NOT NULL,
  scope_type      TEXT    NOT NULL,
  scope_id        TEXT    NOT NULL,
  held            INTEGER NOT NULL CHECK (held IN (0, 1)),
  PRIMARY KEY (reservation_id, position)
) WITHOUT ROWID;

CREATE INDEX reservation_scopes_by_scope ON reservation_scopes (scope_key);

CREATE TABLE runs (
  tenant               TEXT    NOT NULL,
  run_id               TEXT    NOT NULL,
  key_id               TEXT    NOT NULL,
  limit_micros         INTEGER NOT NULL,
  state                TEXT    NOT NULL CHECK (state IN ('open', 'closed')),
  tags_json            TEXT    NOT NULL DEFAULT '{}',
  idle_ttl_ms          INTEGER NOT NULL,
  created_at_ms        INTEGER NOT NULL,
  last_activity_at_ms  INTEGER NOT NULL,
  closed_at_ms         INTEGER,
  PRIMARY KEY (tenant, run_id)
) WITHOUT ROWID;

CREATE INDEX runs_by_key ON runs (tenant, key_id, state, last_activity_at_ms);
CREATE INDEX runs_by_created ON runs (tenant, created_at_ms);

CREATE TABLE decisions (
  id             TEXT    NOT NULL PRIMARY KEY,
  tenant         TEXT    NOT NULL,
  key_id         TEXT    NOT NULL,
  created_at_ms  INTEGER NOT NULL,
  record         TEXT    NOT NULL                -- JSON document
);

CREATE INDEX decisions_by_created ON decisions (created_at_ms);
