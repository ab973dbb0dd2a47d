// Runs on Redis (docs/design.md §2): a hash per run, the bind/cap logic in one Lua script per
// call (principal mismatch, max active runs per key via a per-key sorted set of
// active-until times). Mirrors ../sqlite/runs.ts. No money moves here.
import { guardedRedis } from './client.js';
import { tenantKeys } from './keys.js';
import { asArray, asInteger, asString, toFields, type Fields } from './reply.js';
import { runScript, SCRIPTS, type RedisClient } from './scripts.js';
import type { TenantIndex } from './tenant-index.js';
import type { OpenRunOutcome, RunRecord, RunState, RunStore } from '../records.js';
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
  };
}

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
            ],
          ),
          'run open reply',
        );
        const kind = reply[0];
        // The tenant joins the retention pass's work list (at most once a minute per process).
        if (kind === 'created') await index.remember(request.tenant);
        if (kind === 'principal_mismatch') return { kind };
        if (kind === 'too_many_active') return { kind, active: asInteger(reply[1], 'active') };
        if (kind === 'created' || kind === 'existing' || kind === 'exists')
          return { kind, run: toRun(toFields(reply[1], 'run')) };
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
    list: (tenant, keyId, limit) =>
      guardedRedis(async () => {
        const max = Math.max(0, Math.trunc(limit));
        if (max === 0) return [];
        const keys = tenantKeys(prefix, tenant);
        // Newest first; equal creation times in descending run id order, as SQLite's ORDER BY.
        const ids = await client.zrevrange(keyId === null ? keys.allRuns : keys.runsByKey(keyId), 0, max - 1);
        const runs = await Promise.all(ids.map((runId) => client.hgetall(keys.run(runId))));
        return runs
          .map((record) => toFields(Object.entries(record).flat(), 'run'))
          .filter((fields) => fields.size > 0)
          .map(toRun);
      }),
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
