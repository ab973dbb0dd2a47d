// Contract: retention pruning (docs/ledger.md "Retention"). After the retention window, runs
// that hold nothing go with their run scope, and a pruned run id is free again; live holds,
// runs still in use and lifetime ceilings of keys stay. Settled reservations and window
// buckets expire by TTL on Redis (real time, which a fake clock does not move), so their
// removal is checked per backend (test/security-retention.test.ts), not here.
import { describe, expect, it } from 'vitest';
import type { ContractContext } from './ledger-fixtures.js';
import { MINUTE_MS, counters, reserveOk, scope } from './ledger-fixtures.js';

const DAY_MS = 24 * 60 * MINUTE_MS;
const RETENTION_MS = 30 * DAY_MS;

export function registerRetentionContract(ctx: ContractContext): void {
  describe('retention', () => {
    it('prunes idle runs and old charged reservations, keeps live holds, runs in use and lifetime ceilings', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const open = (runId: string, keyId = 'k_alice') =>
        ctx.store.runs.open({
          tenant: ctx.tenant,
          runId,
          keyId,
          limitMicros: 5_000_000,
          idleTtlMs: 60 * MINUTE_MS,
          maxActivePerKey: 100,
        });
      const [idle, live, reused, closed] = [
        ctx.id('run_idle'),
        ctx.id('run_live'),
        ctx.id('run_reused'),
        ctx.id('run_closed'),
      ];
      const lifetimeKey = scope('key', ctx.id('k_lifetime'), 10_000_000);
      const runScope = (runId: string) => scope('run', runId, 5_000_000);

      for (const runId of [idle, live, reused, closed]) await open(runId);
      const old = await reserveOk(ctx, [runScope(idle), lifetimeKey], 1_000);
      await ctx.ledger.commit(old.id, { actualMicros: 700, usageSource: 'provider' });
      // A hold still live when the window passes (a background response, say): its run stays.
      const held = await reserveOk(ctx, [runScope(live)], 2_000, { ttlMs: 40 * DAY_MS });
      await ctx.ledger.markForwarded(held.id);

      ctx.advance(RETENTION_MS - DAY_MS);
      await open(reused); // used again within the window: stays
      await ctx.store.runs.close(ctx.tenant, closed); // closed within the window: stays
      ctx.advance(2 * DAY_MS);
      const recent = await reserveOk(ctx, [runScope(reused), lifetimeKey], 500);
      await ctx.ledger.commit(recent.id, { actualMicros: 400, usageSource: 'provider' });

      expect(await counters(ctx, [runScope(idle)])).toEqual([{ committed: 700, reserved: 0 }]);
      const pruned = await ctx.store.retention.prune(ctx.now() - RETENTION_MS, 1_000);
      expect(pruned.runs).toBe(1);
      expect(pruned.scopes).toBeGreaterThanOrEqual(1);

      expect(await ctx.store.runs.get(ctx.tenant, idle)).toBeNull();
      // Its run scope went with it; the id is free again, for anyone.
      expect(await counters(ctx, [runScope(idle)])).toEqual([{ committed: 0, reserved: 0 }]);
      expect(await open(idle, 'k_bob')).toMatchObject({ kind: 'created', run: { keyId: 'k_bob' } });

      for (const runId of [live, reused, closed]) expect(await ctx.store.runs.get(ctx.tenant, runId)).not.toBeNull();
      expect(await ctx.ledger.getReservation(held.id)).toMatchObject({ state: 'forwarded' });
      expect(await ctx.ledger.getReservation(recent.id)).toMatchObject({ state: 'committed' });
      expect(await counters(ctx, [runScope(live), lifetimeKey])).toEqual([
        { committed: 0, reserved: 2_000 },
        // A lifetime ceiling keeps everything it ever counted.
        { committed: 1_100, reserved: 0 },
      ]);
      // The live hold still settles into its run.
      await ctx.ledger.commit(held.id, { actualMicros: 1_500, usageSource: 'provider' });
      expect(await counters(ctx, [runScope(live)])).toEqual([{ committed: 1_500, reserved: 0 }]);

      // Settled now, that run holds nothing and has been idle for the whole window: it goes next.
      expect((await ctx.store.retention.prune(ctx.now() - RETENTION_MS, 1_000)).runs).toBe(1);
      expect(await ctx.store.runs.get(ctx.tenant, live)).toBeNull();
      expect((await ctx.store.retention.prune(ctx.now() - RETENTION_MS, 1_000)).runs).toBe(0);
    });

    it('prunes in batches of at most `limit` runs, skipping past the runs that stay', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const keep = Array.from({ length: 3 }, () => ctx.id('run_keep'));
      const drop = Array.from({ length: 5 }, () => ctx.id('run_drop'));
      const open = (runId: string) =>
        ctx.store.runs.open({
          tenant: ctx.tenant,
          runId,
          keyId: 'k_batch',
          limitMicros: 1_000,
          idleTtlMs: MINUTE_MS,
          maxActivePerKey: 100,
        });
      for (const runId of [...keep, ...drop]) await open(runId);
      ctx.advance(RETENTION_MS + DAY_MS);
      for (const runId of keep) await open(runId);
      let prunedRuns = 0;
      for (let round = 0; round < 10; round++) {
        const { runs } = await ctx.store.retention.prune(ctx.now() - RETENTION_MS, 2);
        expect(runs).toBeLessThanOrEqual(2);
        prunedRuns += runs;
        if (runs === 0) break;
      }
      expect(prunedRuns).toBe(5);
      for (const runId of drop) expect(await ctx.store.runs.get(ctx.tenant, runId)).toBeNull();
      for (const runId of keep) expect(await ctx.store.runs.get(ctx.tenant, runId)).not.toBeNull();
    });
  });
}
