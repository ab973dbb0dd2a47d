// Redis-specific checks beside the shared contract: the Lua port of windows.ts agrees
// with it on random instants, scripts survive SCRIPT FLUSH (NOSCRIPT -> EVAL), integers
// near 2^53 stay exact, spend of one run reads the run's own index, and decision patches
// drop keys set to undefined as JSON does. Uses RUNCAP_TEST_REDIS_URL or a private server.
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LUA_PRELUDE } from '../src/ledger/redis/index.js';
import { SCRIPTS } from '../src/ledger/redis/index.js';
import { openRedisStore } from '../src/ledger/redis/index.js';
import { bucketLabel, scopeKey, windowEnd, windowStart } from '../src/ledger/index.js';
import type { ReserveRequest, ScopeSpec, ScopeWindow, Store } from '../src/ledger/index.js';
import { hasRedisServer, startRedisServer, type RedisProcess } from './support/redis-server.js';

const envUrl = process.env.RUNCAP_TEST_REDIS_URL;
const runnable = (envUrl !== undefined && envUrl !== '') || hasRedisServer();
if (!runnable) console.warn('Redis Lua tests skipped: set RUNCAP_TEST_REDIS_URL or put redis-server on PATH');

const WINDOWS: readonly ScopeWindow[] = ['none', '1h', '1d', '7d', '30d', 'month'];

/** Evaluates the prelude's window functions for many instants in one round trip. */
const WINDOWS_PROBE = `${LUA_PRELUDE}
local out = {}
for i = 1, #ARGV do
  local now = tonumber(ARGV[i])
  for _, w in ipairs({ 'none', '1h', '1d', '7d', '30d', 'month' }) do
    local start = window_start(w, now)
    local finish = window_end(w, now)
    out[#out + 1] = start and I(start) or '-'
    out[#out + 1] = finish and I(finish) or '-'
    out[#out + 1] = bucket_label(w, start)
    out[#out + 1] = scope_key('key', w, 'k_alice', now)
  end
end
return out`;

describe.skipIf(!runnable)('redis ledger: Lua and storage details', () => {
  let server: RedisProcess | undefined;
  let client: Redis;
  let store: Store;
  let redisUrl = '';
  const prefix = `rctest-lua:${Date.now()}:`;

  beforeAll(async () => {
    let url = envUrl ?? '';
    if (url === '') {
      server = await startRedisServer();
      url = server.url;
    }
    client = new Redis(url);
    redisUrl = url;
    store = await openRedisStore({ url, keyPrefix: prefix });
  });
  afterAll(async () => {
    await store.close();
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.unlink(...keys);
    client.disconnect();
    await server?.stop();
  });

  it('window buckets, bucket labels and scope keys match windows.ts (property)', async () => {
    // From 1970 to 9999-12-31: every instant Date can render as a four-digit year.
    const instant = fc.integer({ min: 0, max: 253_402_300_799_999 });
    await fc.assert(
      fc.asyncProperty(fc.array(instant, { minLength: 1, maxLength: 50 }), async (instants) => {
        const reply = (await client.eval(WINDOWS_PROBE, 0, ...instants.map(String))) as unknown;
        const expected = instants.flatMap((nowMs) =>
          WINDOWS.flatMap((window) => {
            const start = windowStart(window, nowMs);
            const end = windowEnd(window, nowMs);
            return [
              start === null ? '-' : String(start),
              end === null ? '-' : String(end),
              bucketLabel(window, start),
              scopeKey({ type: 'key', id: 'k_alice', window }, nowMs),
            ];
          }),
        );
        expect(reply).toEqual(expected);
      }),
      { numRuns: 200 },
    );
    // Month edges: leap days, year ends, the first instant of a month.
    const edges = [
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1),
      Date.UTC(2025, 11, 31, 23, 59, 59, 999),
      Date.UTC(2100, 1, 28, 12),
    ];
    const reply = (await client.eval(WINDOWS_PROBE, 0, ...edges.map(String))) as unknown[];
    expect(reply.filter((_, index) => index % 4 === 2 && Math.floor(index / 4) % 6 === 5)).toEqual([
      '2024-02',
      '2024-03',
      '2025-12',
      '2100-02',
    ]);
  });

  it('every script has a unique versioned name that is part of its SHA1', () => {
    const names = Object.values(SCRIPTS).map((script) => script.name);
    expect(new Set(names).size).toBe(names.length);
    for (const script of Object.values(SCRIPTS)) {
      expect(script.name).toMatch(/^runcap_[a-z_]+_v\d+$/);
      expect(script.lua.startsWith(`-- ${script.name}\n`)).toBe(true);
      expect(script.sha1).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  const run: ScopeSpec = { type: 'run', id: 'run_lua', window: 'none', limitMicros: null, mode: 'hard_gate' };
  const request = (id: string, amountMicros: number, runId: string): ReserveRequest => ({
    reservationId: id,
    decisionId: `bdgdec_${id}`,
    tenant: 'tenant_lua',
    scopes: [{ ...run, id: runId }],
    amountMicros,
    ttlMs: 60_000,
    model: 'm',
    priceTableVersion: 'v',
    attribution: { runId, keyId: 'k', userId: null, teamId: null, feature: null, endpoint: 'e' },
  });

  it('scripts are reloaded after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    await client.script('FLUSH');
    expect(await client.script('EXISTS', SCRIPTS.reserve.sha1)).toEqual([0]);
    const outcome = await store.ledger.reserve(request('rsv_flush', 10, 'run_flush'));
    expect(outcome.kind).toBe('reserved');
    expect(await client.script('EXISTS', SCRIPTS.reserve.sha1)).toEqual([1]);
  });

  it('keeps amounts exact up to Number.MAX_SAFE_INTEGER', async () => {
    const big = Number.MAX_SAFE_INTEGER;
    const reserved = await store.ledger.reserve(request('rsv_big', big, 'run_big'));
    expect(reserved.kind === 'reserved' ? reserved.reservation.amountMicros : null).toBe(big);
    const committed = await store.ledger.commit('rsv_big', { actualMicros: big - 1, usageSource: 'provider' });
    expect(committed.reservation.actualMicros).toBe(big - 1);
    const [view] = await store.ledger.view('tenant_lua', [{ ...run, id: 'run_big' }]);
    expect(view?.committedMicros).toBe(big - 1);
  });

  it('a commit settles every scope of a hold with more scopes than its first read covers, and its brief reply is what is stored', async () => {
    // commit.lua reads the first three scopes with the row and the rest in a second HMGET.
    const scopes: ScopeSpec[] = ['a', 'b', 'c', 'd', 'e'].map((id) => ({
      type: 'feature',
      id: `f_many_${id}`,
      window: 'none',
      limitMicros: 1_000_000,
      mode: 'hard_gate',
    }));
    const other = await openRedisStore({ url: redisUrl, keyPrefix: prefix });
    try {
      for (const [id, tokens] of [
        ['rsv_many_tokens', { inputTokens: 7, outputTokens: 3, cachedInputTokens: 1, reasoningTokens: 0 }],
        ['rsv_many_plain', undefined],
      ] as const) {
        const outcome = await store.ledger.reserve({ ...request(id, 500, 'run_many'), scopes });
        expect(outcome.kind).toBe('reserved');
        // The process that made the hold gets the brief reply; it must equal the stored reservation.
        const committed = await store.ledger.commit(id, {
          actualMicros: 200,
          usageSource: 'provider',
          ...(tokens === undefined ? {} : { tokens }),
        });
        expect(committed.changed).toBe(true);
        expect(committed.reservation).toEqual(await store.ledger.getReservation(id));
        expect(committed.reservation.tokens).toEqual(tokens ?? null);
        // A repeat from another process: unchanged, every field read back.
        const repeat = await other.ledger.commit(id, { actualMicros: 200, usageSource: 'provider' });
        expect(repeat).toEqual({ changed: false, reservation: committed.reservation });
      }
      const views = await store.ledger.view('tenant_lua', scopes);
      expect(views.map((view) => [view.committedMicros, view.reservedMicros])).toEqual(scopes.map(() => [400, 0]));
    } finally {
      await other.close();
    }
  });

  it('spend of one run reads only that run and needs a tenant', async () => {
    for (const [id, runId, actual] of [
      ['rsv_a1', 'run_a', 300],
      ['rsv_a2', 'run_a', 200],
      ['rsv_b1', 'run_b', 1_000],
    ] as const) {
      await store.ledger.reserve(request(id, 5_000, runId));
      await store.ledger.commit(id, { actualMicros: actual, usageSource: 'provider' });
    }
    const query = {
      tenant: 'tenant_lua',
      keyId: null,
      groupBy: 'run',
      fromMs: 0,
      toMs: Number.MAX_SAFE_INTEGER,
    } as const;
    expect(await store.spend.spend({ ...query, runId: 'run_a' })).toEqual([
      {
        group: 'run_a',
        costMicros: 500,
        calls: 2,
        inputTokens: 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        reasoningTokens: 0,
      },
    ]);
    expect(await client.zcard(`${prefix}{tenant_lua}:settled:run:run_a`)).toBe(2);
    await expect(store.spend.spend({ ...query, tenant: null, runId: 'run_a' })).rejects.toMatchObject({
      code: 'invalid_scope',
    });
  });

  it('decision records keep large numbers exact and drop keys patched to undefined', async () => {
    const id = 'bdgdec_lua';
    await store.decisions.put({
      id,
      tenant: 'tenant_lua',
      keyId: 'k',
      createdAtMs: 1,
      record: { big: 1234567890123456, gone: 'x', nested: { a: [] } },
    });
    await store.decisions.patch(id, { gone: undefined, added: null });
    expect(await store.decisions.get(id)).toEqual({
      id,
      tenant: 'tenant_lua',
      keyId: 'k',
      createdAtMs: 1,
      record: { big: 1234567890123456, nested: { a: [] }, added: null },
    });
    expect(await client.pttl(`${prefix}dec:${id}`)).toBeGreaterThan(29 * 86_400_000);
  });

  it('a threshold alert queued by a commit outlives the store that queued it (restart)', async () => {
    const alertsPrefix = `${prefix}alerts:`;
    const open = () => openRedisStore({ url: redisUrl, keyPrefix: alertsPrefix, alertThresholds: () => [5000] });
    const first = await open();
    await first.runs.open({
      tenant: 't',
      runId: 'r',
      keyId: 'k',
      limitMicros: 1_000,
      idleTtlMs: 60_000,
      maxActivePerKey: 5,
    });
    const outcome = await first.ledger.reserve({
      reservationId: 'rsv_alert_restart',
      decisionId: 'bdgdec_alert_restart',
      tenant: 't',
      scopes: [{ type: 'run', id: 'r', window: 'none', limitMicros: 1_000, mode: 'hard_gate' }],
      amountMicros: 600,
      ttlMs: 60_000,
      model: 'm',
      priceTableVersion: 'v',
      attribution: { runId: 'r', keyId: 'k', userId: null, teamId: null, feature: null, endpoint: 'chat' },
    });
    expect(outcome.kind).toBe('reserved');
    await first.ledger.commit('rsv_alert_restart', { actualMicros: 600, usageSource: 'provider' });
    await first.close();
    const second = await open();
    try {
      const [alert] = await second.alerts.claimDue(30_000, 10);
      expect(alert).toMatchObject({ tenant: 't', runId: 'r', keyId: 'k', thresholdBp: 5000, committedMicros: 600 });
      await second.alerts.delivered(alert!);
      expect(await second.alerts.pending()).toBe(0);
    } finally {
      await second.close();
    }
  });
});
