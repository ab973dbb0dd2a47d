// Decision records (docs/design.md §5) and spend attribution on Redis. A decision is a hash (one
// JSON-encoded field per top-level record key, so a shallow patch is one atomic HSET)
// with a TTL of the retention window, indexed per tenant by creation time for prune; it is
// written behind (record-writer.ts), and every read here writes what is queued first.
// Spend reads the charged reservations a tenant settled in the window and aggregates
// them here; it never writes.
import { guardedRedis, toLedgerError } from './client.js';
import { globalKeys, tenantKeys } from './keys.js';
import type { RecordWriter } from './record-writer.js';
import { META, RECORD_PREFIX } from './record-writer.js';
import { asInteger, toFields } from './reply.js';
import type { RedisClient } from './scripts.js';
import type { TenantIndex } from './tenant-index.js';
import {
  SPEND_GROUP_FIELD,
  type DecisionStore,
  type SpendRow,
  type SpendStore,
  type StoredDecision,
} from '../records.js';
import { LedgerError } from '../types.js';

const CHUNK = 500;
/** Index entries read per round trip while listing a run's decisions. */
const LIST_BATCH = 200;

/** A sorted-set bound for an epoch-ms value. */
const score = (ms: number): string =>
  ms === Number.POSITIVE_INFINITY ? '+inf' : ms === Number.NEGATIVE_INFINITY ? '-inf' : String(ms);

async function inChunks<T, R>(items: readonly T[], step: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += CHUNK) {
    results.push(...(await Promise.all(items.slice(start, start + CHUNK).map(step))));
  }
  return results;
}

/** Runs a synchronous step of the writer as a settled promise (no async frame on the hot path). */
function queued(step: () => void): Promise<void> {
  try {
    step();
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(toLedgerError(error));
  }
}

export function createRedisDecisions(
  client: RedisClient,
  prefix: string,
  index: TenantIndex,
  writer: RecordWriter,
): DecisionStore {
  const keys = globalKeys(prefix);
  return {
    put: (decision) => queued(() => writer.put(decision)),
    get: (id) =>
      guardedRedis(async () => {
        await writer.flush();
        return readDecision(id);
      }),
    patch: (id, patch) => queued(() => writer.patch(id, patch)),
    prune: (beforeMs) =>
      guardedRedis(async () => {
        await writer.flush();
        // Records also expire on their own one retention window after they were written;
        // prune removes by creation time and keeps the per-tenant index small.
        let pruned = 0;
        for (const tenant of await index.tenants()) {
          const indexKey = tenantKeys(prefix, tenant).decisions;
          const ids = await client.zrangebyscore(indexKey, '-inf', `(${score(beforeMs)}`);
          if (ids.length === 0) continue;
          // A record's run index entry goes with it (the run's own prune drops the whole index).
          const runIds = await inChunks(ids, (id) => client.hget(keys.decision(id), META.runId));
          const deleted = await inChunks(ids, (id) => client.del(keys.decision(id)));
          const byRun = new Map<string, string[]>();
          ids.forEach((id, i) => {
            const runId = runIds[i];
            if (runId != null) byRun.set(runId, [...(byRun.get(runId) ?? []), id]);
          });
          const tenantIndex = tenantKeys(prefix, tenant);
          await inChunks([...byRun], ([runId, runDecisionIds]) =>
            client.zrem(tenantIndex.runDecisions(runId), ...runDecisionIds),
          );
          pruned += deleted.reduce((sum, count) => sum + count, 0);
          await client.zrem(indexKey, ...ids);
        }
        return pruned;
      }),
    listByRun: (query) =>
      guardedRedis(async () => {
        await writer.flush();
        const max = Math.max(0, Math.trunc(query.limit));
        const indexKey = tenantKeys(prefix, query.tenant).runDecisions(query.runId);
        const after = query.after ?? null;
        const out: StoredDecision[] = [];
        // Oldest first, equal times in ascending id order (ZRANGEBYSCORE's order, as SQLite's ORDER BY).
        let offset = 0;
        while (out.length < max) {
          const batch = await client.zrangebyscore(
            indexKey,
            after === null ? '-inf' : String(after.createdAtMs),
            '+inf',
            'WITHSCORES',
            'LIMIT',
            offset,
            LIST_BATCH,
          );
          if (batch.length === 0) break;
          offset += batch.length / 2;
          const ids: string[] = [];
          for (let i = 0; i < batch.length; i += 2) {
            const id = batch[i] ?? '';
            if (after !== null && Number(batch[i + 1]) === after.createdAtMs && id <= after.id) continue;
            ids.push(id);
          }
          // A record past its own TTL is gone; its index entry is skipped (and dropped by prune).
          for (const decision of await Promise.all(ids.map(readDecision))) {
            if (decision !== null && out.length < max) out.push(decision);
          }
          if (batch.length / 2 < LIST_BATCH) break;
        }
        return out;
      }),
  };

  async function readDecision(id: string): Promise<StoredDecision | null> {
    const fields = toFields(Object.entries(await client.hgetall(keys.decision(id))).flat(), 'decision');
    if (fields.size === 0) return null;
    const entries: [string, unknown][] = [];
    for (const [name, value] of fields) {
      if (name.startsWith(RECORD_PREFIX)) entries.push([name.slice(RECORD_PREFIX.length), JSON.parse(value)]);
    }
    const record: Record<string, unknown> = Object.fromEntries(entries);
    return {
      id,
      tenant: fields.get(META.tenant) ?? '',
      keyId: fields.get(META.keyId) ?? '',
      ...(fields.has(META.runId) ? { runId: fields.get(META.runId) } : {}),
      createdAtMs: asInteger(fields.get(META.createdAtMs) ?? '0', 'createdAtMs'),
      record,
    };
  }
}

const CHARGED_STATES = new Set(['committed', 'expired', 'reconciled']);

type Totals = { -readonly [K in keyof SpendRow]: SpendRow[K] };

/** SQLite's ORDER BY costMicros DESC, grp: NULL first, then UTF-8 byte order. */
function compareRows(a: SpendRow, b: SpendRow): number {
  if (a.costMicros !== b.costMicros) return b.costMicros - a.costMicros;
  if (a.group === b.group) return 0;
  if (a.group === null) return -1;
  if (b.group === null) return 1;
  return Buffer.compare(Buffer.from(a.group), Buffer.from(b.group));
}

export function createRedisSpend(client: RedisClient, prefix: string, index: TenantIndex): SpendStore {
  return {
    spend: (query) =>
      guardedRedis(async (): Promise<SpendRow[]> => {
        const groupField: string | undefined = SPEND_GROUP_FIELD[query.groupBy];
        if (groupField === undefined)
          throw new LedgerError('invalid_scope', `cannot group spend by ${String(query.groupBy)}`);
        const runId = query.runId ?? null;
        if (runId !== null && query.tenant === null)
          throw new LedgerError('invalid_scope', 'spend of one run needs its tenant');
        const tenants = query.tenant === null ? await index.tenants() : [query.tenant];
        const groups = new Map<string | null, Totals>();
        for (const tenant of tenants) {
          const keys = tenantKeys(prefix, tenant);
          // The settled sets hold each charged reservation once, by settledAtMs.
          const settled = runId === null ? keys.settled : keys.runSettled(runId);
          const ids = await client.zrangebyscore(settled, score(query.fromMs), `(${score(query.toMs)}`);
          const rows = await inChunks(ids, (id) =>
            client.hmget(
              keys.reservation(id),
              'state',
              'actual',
              'key_id',
              'run_id',
              groupField,
              'tin',
              'tout',
              'tcached',
              'treason',
            ),
          );
          for (const [state, actual, keyId, rowRunId, group, ...tokens] of rows) {
            if (state == null || !CHARGED_STATES.has(state) || actual == null) continue;
            if (query.keyId !== null && keyId !== query.keyId) continue;
            if (runId !== null && rowRunId !== runId) continue;
            const name = group ?? null;
            const totals = groups.get(name) ?? {
              group: name,
              costMicros: 0,
              calls: 0,
              inputTokens: 0,
              outputTokens: 0,
              cachedInputTokens: 0,
              reasoningTokens: 0,
            };
            const [input, output, cached, reasoning] = tokens.map((value) => (value == null ? 0 : Number(value)));
            totals.costMicros += asInteger(actual, 'actual');
            totals.calls += 1;
            totals.inputTokens += input ?? 0;
            totals.outputTokens += output ?? 0;
            totals.cachedInputTokens += cached ?? 0;
            totals.reasoningTokens += reasoning ?? 0;
            groups.set(name, totals);
          }
        }
        return [...groups.values()].sort(compareRows);
      }),
  };
}
