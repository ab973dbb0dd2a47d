// Contract: threshold alerts (docs/design.md §12). A commit (or a charged expiry) that brings a
// run's committed spend to a configured fraction of its ceiling queues one alert in the same
// atomic step; never twice per run, threshold and ceiling (a changed ceiling re-arms); the outbox
// leases what it hands out, retries later, and forgets what was delivered or dropped.
import { describe, expect, it } from 'vitest';
import type { ContractContext } from './ledger-fixtures.js';
import { MINUTE_MS, reserveOk, scope } from './ledger-fixtures.js';

const LEASE_MS = 30_000;

export function registerAlertsContract(ctx: ContractContext): void {
  describe('threshold alerts', () => {
    const setup = async (limitMicros = 1_000_000) => {
      const tenant = `alerts-${ctx.id('t')}`;
      const runId = ctx.id('run');
      await ctx.store.runs.open({
        tenant,
        runId,
        keyId: 'k_alerts',
        limitMicros,
        idleTtlMs: 60 * MINUTE_MS,
        maxActivePerKey: 10,
      });
      const spend = async (micros: number) => {
        const held = await reserveOk(ctx, [scope('run', runId, limitMicros)], micros, { tenant });
        await ctx.ledger.commit(held.id, { actualMicros: micros, usageSource: 'provider' });
      };
      const mine = async () => (await ctx.store.alerts.claimDue(LEASE_MS, 100)).filter((a) => a.tenant === tenant);
      return { tenant, runId, spend, mine };
    };

    it('queues each threshold once, in the commit that reaches it, with the run and its spend', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const { tenant, runId, spend, mine } = await setup();
      await spend(400_000);
      expect(await mine()).toEqual([]);
      await spend(200_000); // 60%: the 50% threshold
      const [half] = await mine();
      expect(half).toMatchObject({
        tenant,
        runId,
        keyId: 'k_alerts',
        thresholdBp: 5000,
        limitMicros: 1_000_000,
        committedMicros: 600_000,
        crossedAtMs: ctx.now(),
        attempts: 0,
      });
      await spend(300_000); // 90%: 80%
      await spend(100_000); // 100%: 100%
      const rest = await mine();
      expect(rest.map((a) => [a.thresholdBp, a.committedMicros])).toEqual([
        [8000, 900_000],
        [10000, 1_000_000],
      ]);
      for (const alert of [half, ...rest]) if (alert) await ctx.store.alerts.delivered(alert);
      await spend(0);
      ctx.advance(LEASE_MS + 1);
      expect(await mine()).toEqual([]);
    });

    it('a commit past several thresholds queues each; a tenant without thresholds queues none', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const { spend, mine } = await setup();
      await spend(850_000);
      expect((await mine()).map((a) => a.thresholdBp)).toEqual([5000, 8000]);
      const plain = ctx.id('run');
      await ctx.store.runs.open({
        tenant: ctx.tenant,
        runId: plain,
        keyId: 'k',
        limitMicros: 1_000,
        idleTtlMs: MINUTE_MS,
        maxActivePerKey: 10,
      });
      const held = await reserveOk(ctx, [scope('run', plain, 1_000)], 1_000);
      await ctx.ledger.commit(held.id, { actualMicros: 1_000, usageSource: 'provider' });
      expect((await ctx.store.alerts.claimDue(LEASE_MS, 100)).filter((a) => a.tenant === ctx.tenant)).toEqual([]);
    });

    it('a charged expiry crosses thresholds too', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const { tenant, runId, mine } = await setup();
      const held = await reserveOk(ctx, [scope('run', runId, 1_000_000)], 600_000, { tenant, ttlMs: MINUTE_MS });
      await ctx.ledger.markForwarded(held.id);
      ctx.advance(10 * MINUTE_MS);
      await ctx.ledger.expireDue();
      expect((await mine()).map((a) => [a.thresholdBp, a.committedMicros])).toEqual([[5000, 600_000]]);
    });

    it('leases what it hands out, retries later, and drops for good', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const { spend, mine } = await setup();
      await spend(900_000);
      const [half, eighty] = await mine();
      expect(await mine()).toEqual([]); // leased
      expect(await ctx.store.alerts.pending()).toBeGreaterThanOrEqual(2);
      await ctx.store.alerts.retryLater(half!, 5_000, 'HTTP 500');
      await ctx.store.alerts.drop(eighty!, 'no webhook configured');
      ctx.advance(4_000);
      expect(await mine()).toEqual([]);
      ctx.advance(1_001);
      const [again] = await mine();
      expect(again).toMatchObject({ thresholdBp: 5000, attempts: 1 });
      // A lease that runs out (a deliverer died) hands the alert out again.
      ctx.advance(LEASE_MS + 1);
      expect((await mine()).map((a) => a.thresholdBp)).toEqual([5000]);
      await ctx.store.alerts.delivered(again!);
      ctx.advance(LEASE_MS + 1);
      expect(await mine()).toEqual([]);
      await spend(50_000);
      expect(await mine()).toEqual([]); // 50% and 80% already fired for this ceiling
    });

    it('a changed ceiling re-arms its thresholds', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const { tenant, runId, spend, mine } = await setup();
      await spend(600_000);
      for (const alert of await mine()) await ctx.store.alerts.delivered(alert);
      await ctx.store.runs.setLimit(tenant, runId, 2_000_000, 'admin');
      const held = await reserveOk(ctx, [scope('run', runId, 2_000_000)], 500_000, { tenant });
      await ctx.ledger.commit(held.id, { actualMicros: 500_000, usageSource: 'provider' });
      expect((await mine()).map((a) => [a.thresholdBp, a.limitMicros])).toEqual([[5000, 2_000_000]]);
    });
  });
}
