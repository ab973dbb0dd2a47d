// Sub-agent runs on SQLite (docs/design.md §2): a run's ancestors (whose ceilings every call of
// it also reserves against), the checks a new child's parent must pass, a child's inherited
// ceiling, and a run's children. Used inside runs.ts's transactions; writes nothing itself.
import type Database from 'better-sqlite3';
import {
  MAX_RUN_DEPTH,
  type AncestorRun,
  type OpenRunOutcome,
  type OpenRunRequest,
  type RunRecord,
} from '../records.js';
import { scopeKey } from '../windows.js';
import { RUN_COLUMNS, toRun, type RunRow } from './run-rows.js';

type ParentRefusal = Extract<
  OpenRunOutcome,
  {
    kind: 'parent_not_found' | 'parent_principal_mismatch' | 'parent_closed' | 'too_deep' | 'cycle' | 'parent_conflict';
  }
>;

export function createRunTree(db: Database.Database) {
  const select = db.prepare<[string, string], RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs WHERE tenant = ? AND run_id = ?`,
  );
  const selectUsed = db.prepare<[string, string], { readonly used: number }>(
    'SELECT committed_micros + reserved_micros AS used FROM scopes WHERE tenant = ? AND scope_key = ?',
  );
  const selectChildren = db.prepare<[string, string], RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs INDEXED BY runs_by_parent WHERE tenant = ? AND parent_run_id = ?
     ORDER BY created_at_ms, run_id`,
  );

  /** Parent first, up to the root; the depth bound also stops a corrupted loop. */
  const ancestors = (tenant: string, parentRunId: string | null): AncestorRun[] => {
    const chain: AncestorRun[] = [];
    for (let id = parentRunId; id !== null && chain.length < MAX_RUN_DEPTH;) {
      const row = select.get(tenant, id);
      if (row === undefined) break;
      chain.push({ runId: row.run_id, limitMicros: row.limit_micros, state: row.state });
      id = row.parent_run_id;
    }
    return chain;
  };

  /** Whether `runId` is `candidate` or one of its ancestors. */
  const descendsFrom = (tenant: string, candidate: string, runId: string): boolean =>
    candidate === runId || ancestors(tenant, candidate).some((ancestor) => ancestor.runId === runId);

  /** The named parent of a request, or why it cannot be one: missing, another principal's. */
  const parentOf = (request: OpenRunRequest, parentRunId: string): RunRow | ParentRefusal => {
    const parent = select.get(request.tenant, parentRunId);
    if (parent === undefined) return { kind: 'parent_not_found' };
    if (parent.key_id !== request.keyId) return { kind: 'parent_principal_mismatch' };
    return parent;
  };

  return {
    ancestors,

    /** A new run under `parentRunId`: its depth and ceiling, or the refusal. */
    newChild(
      request: OpenRunRequest,
      parentRunId: string,
      nowMs: number,
    ): { readonly depth: number; readonly limitMicros: number } | ParentRefusal {
      if (parentRunId === request.runId) return { kind: 'cycle', currentParentRunId: null };
      const parent = parentOf(request, parentRunId);
      if ('kind' in parent) return parent;
      if (parent.state === 'closed') return { kind: 'parent_closed' };
      if (parent.depth + 1 > MAX_RUN_DEPTH) return { kind: 'too_deep' };
      if (request.inheritLimit !== true) return { depth: parent.depth + 1, limitMicros: request.limitMicros };
      const key = scopeKey({ type: 'run', id: parent.run_id, window: 'none' }, nowMs);
      const remaining = parent.limit_micros - (selectUsed.get(request.tenant, key)?.used ?? 0);
      return { depth: parent.depth + 1, limitMicros: Math.max(0, Math.min(request.limitMicros, remaining)) };
    },

    /** An existing run named with a parent it does not have: why that is refused. */
    otherParent(request: OpenRunRequest, existing: RunRow, parentRunId: string): ParentRefusal {
      const parent = parentOf(request, parentRunId);
      if ('kind' in parent) return parent;
      const kind = descendsFrom(request.tenant, parentRunId, existing.run_id) ? 'cycle' : 'parent_conflict';
      return { kind, currentParentRunId: existing.parent_run_id };
    },

    children: (tenant: string, parentRunId: string): RunRecord[] => selectChildren.all(tenant, parentRunId).map(toRun),
  };
}

export type SqliteRunTree = ReturnType<typeof createRunTree>;
