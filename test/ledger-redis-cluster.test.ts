// Runs the shared ledger contract against a private 3-master Redis Cluster on free
// loopback ports: every script must run unchanged there because all keys of a
// reservation share the {tenant} hash tag. Skipped, visibly, without redis-server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLedgerContract } from './support/ledger-contract.js';
import type { LedgerHarness } from './support/ledger-contract.js';
import { createRedisHarness, type RedisHarness } from './support/redis-harness.js';
import { hasRedisServer, rawCommand, startRedisCluster, type RedisCluster } from './support/redis-server.js';

const SKIP_MESSAGE = 'Redis Cluster ledger tests skipped: redis-server and redis-cli are not on PATH';

if (!hasRedisServer()) {
  console.warn(SKIP_MESSAGE);
  describe.skip(SKIP_MESSAGE, () => {
    it('runs the ledger contract against a 3-master Redis Cluster', () => undefined);
  });
} else {
  let cluster: RedisCluster | undefined;
  let harness: RedisHarness | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    harness = createRedisHarness(cluster.url);
  }, 30_000);
  afterAll(async () => {
    await harness?.dispose();
    await cluster?.stop();
  });
  const ready = (): RedisHarness => {
    if (harness === undefined) throw new Error('the Redis Cluster did not start');
    return harness;
  };

  describe('redis cluster', () => {
    it('spreads tenants over all three masters and keeps each reservation in one slot', async () => {
      const nodes = cluster?.nodes ?? [];
      expect(nodes).toHaveLength(3);
      const { store, cleanup } = await ready().fakeClock();
      try {
        const spec = { type: 'run', id: 'run_spread', window: 'month', limitMicros: 1_000, mode: 'hard_gate' } as const;
        for (let index = 0; index < 24; index += 1) {
          const outcome = await store.ledger.reserve({
            reservationId: `rsv_spread_${index}`,
            decisionId: `bdgdec_spread_${index}`,
            tenant: `tenant_spread_${index}`,
            scopes: [spec],
            amountMicros: 100,
            ttlMs: 60_000,
            model: 'm',
            priceTableVersion: 'v',
            attribution: { runId: 'run_spread', keyId: 'k', userId: null, teamId: null, feature: null, endpoint: 'e' },
          });
          expect(outcome.kind).toBe('reserved');
          expect(
            (await store.ledger.commit(`rsv_spread_${index}`, { actualMicros: 90, usageSource: 'provider' })).changed,
          ).toBe(true);
        }
        const sizes = await Promise.all(
          nodes.map(async (node) => Number((await rawCommand(node.port, 'DBSIZE'))?.slice(1))),
        );
        for (const size of sizes) expect(size).toBeGreaterThan(0);
      } finally {
        await cleanup();
      }
    });
  });

  describe('redis cluster: the id -> tenant claim beside the reserve', () => {
    it('an id another tenant owns fails the reserve, and the hold the script wrote is released again', async () => {
      const { store, cleanup } = await ready().fakeClock();
      try {
        const scope = { type: 'run', id: 'run_clash', window: 'none', limitMicros: 1_000, mode: 'hard_gate' } as const;
        const request = (tenant: string) => ({
          reservationId: 'rsv_clash',
          decisionId: `bdgdec_clash_${tenant}`,
          tenant,
          scopes: [scope],
          amountMicros: 400,
          ttlMs: 60_000,
          model: 'm',
          priceTableVersion: 'v',
          attribution: { runId: 'run_clash', keyId: 'k', userId: null, teamId: null, feature: null, endpoint: 'e' },
        });
        expect((await store.ledger.reserve(request('tenant_clash_one'))).kind).toBe('reserved');
        await expect(store.ledger.reserve(request('tenant_clash_two'))).rejects.toMatchObject({
          code: 'invalid_transition',
        });
        const [two] = await store.ledger.view('tenant_clash_two', [scope]);
        expect(two).toMatchObject({ reservedMicros: 0, committedMicros: 0 });
        const [one] = await store.ledger.view('tenant_clash_one', [scope]);
        expect(one).toMatchObject({ reservedMicros: 400 });
        expect((await store.ledger.getReservation('rsv_clash'))?.tenant).toBe('tenant_clash_one');
      } finally {
        await cleanup();
      }
    });
  });

  describe('redis cluster: the run check inside the reserve', () => {
    it('reads and touches the run on the tenant slot, on every master, and refuses a closed run', async () => {
      const { store, cleanup } = await ready().fakeClock();
      try {
        for (let index = 0; index < 12; index += 1) {
          const tenant = `tenant_check_${index}`;
          const open = { tenant, runId: 'run_check', keyId: 'k', limitMicros: 1_000, idleTtlMs: 3_600_000 };
          await store.runs.open({ ...open, maxActivePerKey: 10 });
          const request = {
            reservationId: `rsv_check_${index}`,
            decisionId: `bdgdec_check_${index}`,
            tenant,
            scopes: [{ type: 'run', id: 'run_check', window: 'none', limitMicros: 1_000, mode: 'hard_gate' }] as const,
            amountMicros: 100,
            ttlMs: 60_000,
            model: 'm',
            priceTableVersion: 'v',
            attribution: { runId: 'run_check', keyId: 'k', userId: null, teamId: null, feature: null, endpoint: 'e' },
            runCheck: { runId: 'run_check', keyId: 'k' },
          };
          expect((await store.ledger.reserve(request)).kind).toBe('reserved');
          await store.runs.close(tenant, 'run_check');
          await expect(
            store.ledger.reserve({ ...request, reservationId: `rsv_check_closed_${index}` }),
          ).rejects.toMatchObject({ code: 'run_changed' });
        }
      } finally {
        await cleanup();
      }
    });
  });

  runLedgerContract(
    'redis cluster (3 masters, fake clock, multi-process)',
    (): Promise<LedgerHarness> => ready().fakeClock(),
    { multiProcess: true },
  );
}
