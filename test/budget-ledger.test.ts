// The store queries the budget API added: spend of one run (SQLite and Redis), the
// all-tenant active-run count (SQLite; Redis has none, so the gauge is not exported), and the
// budget API end to end on a Redis ledger (a private redis-server, skipped without one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDecisionId, newReservationId } from '../src/ids.js';
import type { Store } from '../src/ledger/index.js';
import { openSqliteStore } from '../src/ledger/index.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { sampleActiveRuns } from '../src/pipeline/budget-gauges.js';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { hasRedisServer, startRedisServer, type RedisProcess } from './support/redis-server.js';
import { startRuncap } from './support/runcap.js';

const HOUR_MS = 3_600_000;

async function charge(
  store: Store,
  tenant: string,
  runId: string,
  keyId: string,
  model: string,
  micros: number,
): Promise<void> {
  const outcome = await store.ledger.reserve({
    reservationId: newReservationId(),
    decisionId: newDecisionId(),
    tenant,
    scopes: [{ type: 'run', id: runId, window: 'none', limitMicros: 10_000_000, mode: 'hard_gate' }],
    amountMicros: micros,
    ttlMs: 60_000,
    model,
    priceTableVersion: '2026-11-01',
    attribution: { runId, keyId, userId: null, teamId: null, feature: null, endpoint: 'chat' },
  });
  if (outcome.kind !== 'reserved') throw new Error('blocked');
  await store.ledger.commit(outcome.reservation.id, {
    actualMicros: micros,
    usageSource: 'provider',
    tokens: { inputTokens: 1, outputTokens: 2, cachedInputTokens: 0, reasoningTokens: 0 },
  });
}

async function checkRunFilter(store: Store): Promise<void> {
  await charge(store, 't1', 'run-a', 'k1', 'm1', 100);
  await charge(store, 't1', 'run-a', 'k1', 'm2', 20);
  await charge(store, 't1', 'run-b', 'k1', 'm1', 5);
  await charge(store, 't2', 'run-a', 'k9', 'm1', 7_000);
  const query = { tenant: 't1', keyId: null, groupBy: 'model' as const, fromMs: 0, toMs: Number.MAX_SAFE_INTEGER };
  const runA = await store.spend.spend({ ...query, runId: 'run-a' });
  expect(runA.map((r) => [r.group, r.costMicros, r.calls, r.inputTokens, r.outputTokens])).toEqual([
    ['m1', 100, 1, 1, 2],
    ['m2', 20, 1, 1, 2],
  ]);
  expect((await store.spend.spend({ ...query, runId: 'run-b' })).map((r) => [r.group, r.costMicros])).toEqual([
    ['m1', 5],
  ]);
  expect(await store.spend.spend({ ...query, runId: 'run-a', keyId: 'k-other' })).toEqual([]);
  expect((await store.spend.spend({ ...query, runId: null })).reduce((sum, r) => sum + r.costMicros, 0)).toBe(125);
  expect((await store.spend.spend({ ...query, tenant: 't2', runId: 'run-a' })).map((r) => r.costMicros)).toEqual([
    7_000,
  ]);
}

describe('SQLite', () => {
  it('filters spend by run', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      await checkRunFilter(store);
    } finally {
      await store.close();
    }
  });

  it('counts active runs across tenants: open and used within their idle TTL', async () => {
    let nowMs = Date.UTC(2026, 10, 1);
    const store = openSqliteStore({ path: ':memory:', clock: () => nowMs });
    try {
      const open = (tenant: string, runId: string, keyId: string, idleTtlMs: number) =>
        store.runs.open({ tenant, runId, keyId, limitMicros: 1_000_000, idleTtlMs, maxActivePerKey: 100 });
      await open('t1', 'r1', 'k1', HOUR_MS);
      await open('t1', 'r2', 'k2', 2 * HOUR_MS);
      await open('t2', 'r1', 'k1', 3 * HOUR_MS);
      await open('t2', 'r-closed', 'k1', 3 * HOUR_MS);
      await store.runs.close('t2', 'r-closed');
      expect(await store.runs.countActiveAll?.()).toBe(3);
      nowMs += HOUR_MS + 1;
      expect(await store.runs.countActiveAll?.()).toBe(2);
      await open('t1', 'r1', 'k1', HOUR_MS); // used again: active again
      expect(await store.runs.countActiveAll?.()).toBe(3);
      nowMs += 3 * HOUR_MS;
      expect(await store.runs.countActiveAll?.()).toBe(0);

      const metrics = createMetrics({ defaultMetrics: false });
      await sampleActiveRuns({ store, metrics });
      expect(await metrics.registry.getSingleMetricAsString('runcap_active_runs')).toMatch(/^runcap_active_runs 0$/m);
    } finally {
      await store.close();
    }
  });
});

const redisAvailable = hasRedisServer();
describe.skipIf(!redisAvailable)('Redis (private redis-server)', () => {
  let redis: RedisProcess;
  let fake: FakeUpstream;
  beforeAll(async () => {
    redis = await startRedisServer();
    fake = await startFakeUpstream();
  });
  afterAll(async () => {
    await fake?.close();
    await redis?.stop();
  });

  it('filters spend by run', async () => {
    const { openRedisStore } = await import('../src/ledger/redis/index.js');
    const store = await openRedisStore({ url: redis.url, keyPrefix: 'budget-ledger-test:' });
    try {
      await checkRunFilter(store);
      expect(store.runs.countActiveAll).toBeUndefined();
      const metrics = createMetrics({ defaultMetrics: false });
      await sampleActiveRuns({ store, metrics });
      expect(await metrics.registry.metrics()).not.toContain('runcap_active_runs');
    } finally {
      await store.close();
    }
  });

  it('serves the budget API on a Redis ledger (run report, spend, reservations)', async () => {
    const runcap = await startRuncap({ upstreamUrl: fake.url, config: { ledger: { redis: redis.url } } });
    try {
      const key = 'sk-redis-plane';
      expect(
        (await api(runcap.url, 'POST', '/budget/runs', { key, body: { id: 'redis-run', limit_usd: '1.00' } })).status,
      ).toBe(201);
      expect((await chat(runcap.url, key, 'redis-run')).status).toBe(200);
      const held = await api(runcap.url, 'POST', '/budget/reservations', {
        key,
        body: { run_id: 'redis-run', amount_usd: '0.10' },
      });
      expect(held.status).toBe(201);
      await api(runcap.url, 'POST', `/budget/reservations/${String(held.body.reservation_id)}/commit`, {
        key,
        body: { amount_usd: '0.05' },
      });
      await runcap.server.deps.tasks.drain(5_000);
      const report = await api(runcap.url, 'GET', '/budget/runs/redis-run', { key });
      expect(report.body).toMatchObject({ committed_usd: '0.050014', reserved_usd: '0.00', calls: 2 });
      const spend = await api(runcap.url, 'GET', '/budget/spend?group_by=run', { key });
      expect(spend.body).toMatchObject({ total_usd: '0.050014', rows: [{ group: 'redis-run', calls: 2 }] });
      const metrics = await fetch(`${runcap.url}/metrics`).then((r) => r.text());
      expect(metrics).not.toContain('runcap_active_runs');
    } finally {
      await runcap.stop();
    }
  });
});
