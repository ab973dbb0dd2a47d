// Runs on Redis (docs/design.md §2): a hash per run, the bind/cap logic in one Lua script per
// call (principal mismatch, a sub-agent run's parent, max active runs per key via a per-key
// sorted set of active-until times), ceiling changes with their history. Mirrors
// ../sqlite/runs.ts. No money moves here.
import { guardedRedis } from './client.js';
import { tenantKeys } from './keys.js';
import { asArray, asInteger, asString, toFields, type Fields } from './reply.js';
import { runScript, SCRIPTS, type RedisClient } from './scripts.js';
import type { TenantIndex } from './tenant-index.js';
import {
  MAX_RUN_DEPTH,
  type AncestorRun,
  type OpenRunOutcome,
  type RunLimitChange,
  type RunRecord,
  type RunState,
  type RunStore,
} from '../records.js';
import { LedgerError } from '../types.js';
import { assertAmountMicros, assertDurationMs, parseTags } from '../validate.js';

function field(fields: Fields, name: string): string {
  const value = fields.get(name);
  if (value === undefined) throw new Error(`redis ledger: run field ${name} is missing`);
  return value;
}

function toRun(fields: Fields): RunRecord {
  const state: RunState = field(fields, 'state') === 'closed' ? 'closed' : 'open';
  const closed = fields.get('closed');
  return {
    tenant: field(fields, 'tenant'),
    runId: field(fields, 'run_id'),
    keyId: field(fields, 'key_id'),
    limitMicros: asInteger(field(fields, 'limit'), 'limit'),
    state,
    tags: parseTags(field(fields, 'tags')),
    idleTtlMs: asInteger(field(fields, 'idle_ttl'), 'idle_ttl'),
    createdAtMs: asInteger(field(fields, 'created'), 'created'),
    lastActivityAtMs: asInteger(field(fields, 'last'), 'last'),
    closedAtMs: closed === undefined ? null : asInteger(closed, 'closed'),
    parentRunId: fields.get('parent') ?? null,
    depth: asInteger(fields.get('depth') ?? '0', 'depth'),
  };
}

function toAncestors(reply: unknown): AncestorRun[] {
  return asArray(reply, 'ancestors').map((entry) => {
    const [runId, limit, state] = asArray(entry, 'ancestor');
    return {
      runId: asString(runId, 'ancestor id'),
      limitMicros: asInteger(limit, 'ancestor limit'),
      state: state === 'closed' ? 'closed' : 'open',
    };
  });
}

function toChange(text: string): RunLimitChange {
  const entry: unknown = JSON.parse(text);
  const field = (name: string): string => asString(Reflect.get(entry as object, name), `limit change ${name}`);
  return {
    atMs: asInteger(field('at'), 'at'),
    changedBy: field('by'),
    fromMicros: asInteger(field('from'), 'from'),
    toMicros: asInteger(field('to'), 'to'),
  };
}

/** Index entries read per round trip while listing runs. */
const LIST_BATCH = 200;

const PARENT_REFUSALS = ['parent_not_found', 'parent_principal_mismatch', 'parent_closed', 'too_deep'] as const;

export function createRedisRuns(
  client: RedisClient,
  prefix: string,
  clockOverride: (() => number) | null,
  index: Pick<TenantIndex, 'remember'>,
): RunStore {
  const nowArg = (): string => (clockOverride === null ? '' : String(Math.floor(clockOverride())));

  return {
    open: (request) =>
      guardedRedis(async (): Promise<OpenRunOutcome> => {
        assertAmountMicros(request.limitMicros, 'limitMicros');
        assertDurationMs(request.idleTtlMs, 'idleTtlMs');
        if (!Number.isSafeInteger(request.maxActivePerKey) || request.maxActivePerKey < 0) {
          throw new LedgerError(
            'invalid_scope',
            `maxActivePerKey must be a non-negative integer, got ${request.maxActivePerKey}`,
          );
        }
        const keys = tenantKeys(prefix, request.tenant);
        const reply = asArray(
          await runScript(
            client,
            SCRIPTS.runOpen,
            [keys.run(request.runId), keys.activeRuns(request.keyId), keys.allRuns, keys.runsByKey(request.keyId)],
            [
              nowArg(),
              request.tenant,
              request.runId,
              request.keyId,
              String(request.limitMicros),
              String(request.idleTtlMs),
              String(request.maxActivePerKey),
              JSON.stringify(request.tags ?? {}),
              request.createOnly === true ? '1' : '0',
              request.parentRunId ?? '',
              request.inheritLimit === true ? '1' : '0',
              String(MAX_RUN_DEPTH),
              keys.base,
            ],
          ),
          'run open reply',
        );
        const kind = reply[0];
        // The tenant joins the retention pass's work list (at most once a minute per process).
        if (kind === 'created') await index.remember(request.tenant);
        if (kind === 'principal_mismatch') return { kind };
        if (kind === 'too_many_active') return { kind, active: asInteger(reply[1], 'active') };
        if (kind === 'exists') return { kind, run: toRun(toFields(reply[1], 'run')) };
        if (kind === 'created' || kind === 'existing')
          return { kind, run: toRun(toFields(reply[1], 'run')), ancestors: toAncestors(reply[2]) };
        const refusal = PARENT_REFUSALS.find((candidate) => candidate === kind);
        if (refusal !== undefined) return { kind: refusal };
        if (kind === 'cycle' || kind === 'parent_conflict') {
          const current = asString(reply[1], 'current parent');
          return { kind, currentParentRunId: current === '' ? null : current };
        }
        throw new Error(`redis ledger: unexpected run open reply ${String(kind)}`);
      }),
    get: (tenant, runId) =>
      guardedRedis(async () => {
        const fields = toFields(
          Object.entries(await client.hgetall(tenantKeys(prefix, tenant).run(runId))).flat(),
          'run',
        );
        return fields.size === 0 ? null : toRun(fields);
      }),
    close: (tenant, runId) =>
      guardedRedis(async () => {
        const keys = tenantKeys(prefix, tenant);
        const reply = await runScript(client, SCRIPTS.runClose, [keys.run(runId)], [nowArg(), keys.base, runId]);
        const fields = toFields(reply, 'run');
        return fields.size === 0 ? null : toRun(fields);
      }),
    list: (query) =>
      guardedRedis(async () => {
        const max = Math.max(0, Math.trunc(query.limit));
        const keys = tenantKeys(prefix, query.tenant);
        const index = query.keyId === null ? keys.allRuns : keys.runsByKey(query.keyId);
        const out: RunRecord[] = [];
        const after = query.after ?? null;
        // Newest activity first, equal times in descending run id order (as ZREVRANGEBYSCORE gives them
        // and SQLite's ORDER BY): read the index in batches from the position, filter by state.
        let offset = 0;
        while (out.length < max) {
          const batch = await client.zrevrangebyscore(
            index,
            after === null ? '+inf' : String(after.lastActivityAtMs),
            '-inf',
            'WITHSCORES',
            'LIMIT',
            offset,
            LIST_BATCH,
          );
          if (batch.length === 0) break;
          offset += batch.length / 2;
          const ids: string[] = [];
          for (let i = 0; i < batch.length; i += 2) {
            const runId = batch[i] ?? '';
            const at = Number(batch[i + 1]);
            if (after !== null && at === after.lastActivityAtMs && runId >= after.runId) continue;
            ids.push(runId);
          }
          const runs = await Promise.all(ids.map((runId) => client.hgetall(keys.run(runId))));
          for (const record of runs) {
            const fields = toFields(Object.entries(record).flat(), 'run');
            if (fields.size === 0) continue;
            const run = toRun(fields);
            if (query.state !== null && run.state !== query.state) continue;
            if (out.length < max) out.push(run);
          }
          if (batch.length / 2 < LIST_BATCH) break;
        }
        return out;
      }),
    children: (tenant, parentRunId) =>
      guardedRedis(async () => {
        const keys = tenantKeys(prefix, tenant);
        const ids = await client.zrange(keys.runChildren(parentRunId), 0, -1);
        const runs = await Promise.all(ids.map((runId) => client.hgetall(keys.run(runId))));
        return runs
          .map((record) => toFields(Object.entries(record).flat(), 'run'))
          .filter((fields) => fields.size > 0)
          .map(toRun);
      }),
    setLimit: (tenant, runId, limitMicros, changedBy) =>
      guardedRedis(async () => {
        assertAmountMicros(limitMicros, 'limitMicros');
        const keys = tenantKeys(prefix, tenant);
        const reply = asArray(
          await runScript(
            client,
            SCRIPTS.runLimit,
            [keys.run(runId), keys.runLimits(runId)],
            [nowArg(), String(limitMicros), changedBy],
          ),
          'run limit reply',
        );
        if (reply[0] === 'not_found') return { kind: 'not_found' };
        const run = toRun(toFields(reply[1], 'run'));
        if (reply[0] === 'closed') return { kind: 'closed', run };
        const change = {
          atMs: asInteger(reply[2], 'at'),
          changedBy,
          fromMicros: asInteger(reply[3], 'from'),
          toMicros: limitMicros,
        };
        return { kind: 'changed', run, change };
      }),
    limitHistory: (tenant, runId) =>
      guardedRedis(async () => (await client.lrange(tenantKeys(prefix, tenant).runLimits(runId), 0, -1)).map(toChange)),
    countActive: (tenant, keyId) =>
      guardedRedis(async () => {
        const keys = tenantKeys(prefix, tenant);
        return asInteger(
          asString(await runScript(client, SCRIPTS.runCount, [keys.activeRuns(keyId)], [nowArg()]), 'count'),
          'count',
        );
      }),
  };
}
