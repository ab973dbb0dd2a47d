// The runs table's row shape and its mapping to RunRecord, shared by the SQLite run modules
// (runs.ts, run-tree.ts, run-limits.ts). No statements, no rules.
import type { RunRecord, RunState } from '../records.js';
import { parseTags } from '../validate.js';

export interface RunRow {
  readonly tenant: string;
  readonly run_id: string;
  readonly key_id: string;
  readonly limit_micros: number;
  readonly state: RunState;
  readonly tags_json: string;
  readonly idle_ttl_ms: number;
  readonly created_at_ms: number;
  readonly last_activity_at_ms: number;
  readonly closed_at_ms: number | null;
  readonly parent_run_id: string | null;
  readonly depth: number;
}

export const RUN_COLUMNS =
  'tenant, run_id, key_id, limit_micros, state, tags_json, idle_ttl_ms, created_at_ms, last_activity_at_ms, closed_at_ms, parent_run_id, depth';

export function toRun(row: RunRow): RunRecord {
  return {
    tenant: row.tenant,
    runId: row.run_id,
    keyId: row.key_id,
    limitMicros: row.limit_micros,
    state: row.state,
    tags: parseTags(row.tags_json),
    idleTtlMs: row.idle_ttl_ms,
    createdAtMs: row.created_at_ms,
    lastActivityAtMs: row.last_activity_at_ms,
    closedAtMs: row.closed_at_ms,
    parentRunId: row.parent_run_id,
    depth: row.depth,
  };
}
