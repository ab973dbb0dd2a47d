// Contract: the runaway brakes in the reserve (docs/design.md §12). The velocity brake counts a
// run's committed + reserved spend over the trailing minute (its ancestors' windows include it),
// says when a refused hold will fit, and never admits past the limit, even racing; the loop
// brake counts repeats of one step in a row. A refused reserve writes nothing.
import { describe, expect, it } from 'vitest';
import { VELOCITY_WINDOW_MS, type RunBrakes, type ScopeSpec } from '../../src/ledger/index.js';
import type { ContractContext } from './ledger-fixtures.js';
import {
  counters,
  expectBlocked,
  expectBraked,
  expectLedgerError,
  reserveOk,
  reserveRequest,
  scope,
} from './ledger-fixtures.js';

const BIG = 1_000_000_000;
const velocity = (limitMicros: number): RunBrakes => ({ velocity: { limitMicros } });
const loop = (runId: string, stepHash: string, maxRepeats: number): RunBrakes => ({
  loop: { runId, stepHash, maxRepeats },
});

export function registerBrakesContract(ctx: ContractContext): void {
  const reserveWith = (scopes: readonly ScopeSpec[], amount: number, brakes: RunBrakes) =>
    ctx.ledger.reserve(reserveRequest(ctx, scopes, amount, { brakes }));

  describe('brakes: spend velocity', () => {
    it('admits up to the per-minute limit, then refuses with the spend and when the hold will fit', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const run = scope('run', ctx.id('run'), BIG);
      await reserveOk(ctx, [run], 400, { brakes: velocity(1_000) });
      ctx.advance(10_000);
      await reserveOk(ctx, [run], 400, { brakes: velocity(1_000) });
      ctx.advance(5_000);
      const before = await counters(ctx, [run]);
      const request = reserveRequest(ctx, [run], 300, { brakes: velocity(1_000) });
      const braked = expectBraked(await ctx.ledger.reserve(request));
      // The first hold (made at second 0) leaves the window 61 s later: 46 s from now.
      expect(braked.brake).toEqual({
        kind: 'velocity',
        runId: run.id,
        limitMicros: 1_000,
        spentMicros: 800,
        retryAfterMs: 46_000,
      });
      expect(await counters(ctx, [run])).toEqual(before);
      expect(await ctx.ledger.getReservation(request.reservationId)).toBeNull();
      ctx.advance(45_999);
      expect(expectBraked(await reserveWith([run], 300, velocity(1_000))).brake).toMatchObject({ retryAfterMs: 1 });
      ctx.advance(1);
      await reserveOk(ctx, [run], 300, { brakes: velocity(1_000) });
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 1_100 }]);
    });

    it('counts what a hold settles for: a lower commit or a release makes room, an overrun takes more', async () => {
      const run = scope('run', ctx.id('run'), BIG);
      const first = await reserveOk(ctx, [run], 600, { brakes: velocity(1_000) });
      expectBraked(await reserveWith([run], 500, velocity(1_000)));
      await ctx.ledger.commit(first.id, { actualMicros: 100, usageSource: 'provider' });
      const second = await reserveOk(ctx, [run], 500, { brakes: velocity(1_000) });
      expect(expectBraked(await reserveWith([run], 401, velocity(1_000))).brake).toMatchObject({ spentMicros: 600 });
      await ctx.ledger.release(second.id);
      const third = await reserveOk(ctx, [run], 100, { brakes: velocity(1_000) });
      await ctx.ledger.commit(third.id, { actualMicros: 850, usageSource: 'provider' });
      expect(expectBraked(await reserveWith([run], 51, velocity(1_000))).brake).toMatchObject({ spentMicros: 950 });
      await reserveOk(ctx, [run], 50, { brakes: velocity(1_000) });
    });

    it('a hold above the limit itself can never fit; the brake binds only the calls that carry it', async () => {
      const run = scope('run', ctx.id('run'), BIG);
      const braked = expectBraked(await reserveWith([run], 1_001, velocity(1_000)));
      expect(braked.brake).toMatchObject({ kind: 'velocity', spentMicros: 0, retryAfterMs: null });
      await reserveOk(ctx, [run], 1_000, { brakes: velocity(1_000) });
      expectBraked(await reserveWith([run], 1, velocity(1_000)));
      await reserveOk(ctx, [run], 5_000);
    });

    it("a sub-agent's spend fills its ancestors' windows too, and the ceilings are judged first", async () => {
      const parent = scope('run', ctx.id('parent'), 2_000);
      const childA = scope('run', ctx.id('child'), BIG);
      const childB = scope('run', ctx.id('child'), BIG);
      await reserveOk(ctx, [childA, parent], 700, { brakes: velocity(1_000) });
      const braked = expectBraked(await reserveWith([childB, parent], 400, velocity(1_000)));
      expect(braked.brake).toMatchObject({ kind: 'velocity', runId: parent.id, spentMicros: 700 });
      expect(await counters(ctx, [childB])).toEqual([{ committed: 0, reserved: 0 }]);
      // Over the parent's ceiling as well: the ceiling (a 402, final) is what the caller hears.
      expectBlocked(await reserveWith([childB, parent], 1_400, velocity(1_000)));
      await reserveOk(ctx, [childB, parent], 300, { brakes: velocity(1_000) });
    });

    it('an expired hold that was sent stays counted; one never sent leaves the window', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const run = scope('run', ctx.id('run'), BIG);
      await reserveOk(ctx, [run], 300, { brakes: velocity(1_000), ttlMs: 1_000, forwarded: true });
      await reserveOk(ctx, [run], 300, { brakes: velocity(1_000), ttlMs: 1_000 });
      ctx.advance(20_000);
      await ctx.ledger.expireDue();
      expect(await counters(ctx, [run])).toEqual([{ committed: 300, reserved: 0 }]);
      expect(expectBraked(await reserveWith([run], 701, velocity(1_000))).brake).toMatchObject({ spentMicros: 300 });
      await reserveOk(ctx, [run], 700, { brakes: velocity(1_000) });
      ctx.advance(VELOCITY_WINDOW_MS);
      await reserveOk(ctx, [run], 300, { brakes: velocity(1_000) });
    });

    it('200 concurrent reserves under the brake admit exactly floor(limit / amount) and never overshoot', async () => {
      const run = scope('run', ctx.id('run'), BIG);
      const limit = 1_000_003;
      const amount = 7_919;
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, () => reserveWith([run], amount, velocity(limit))),
      );
      const admitted = outcomes.filter((outcome) => outcome.kind === 'reserved').length;
      expect(admitted).toBe(Math.floor(limit / amount));
      expect(outcomes.filter((outcome) => outcome.kind === 'braked')).toHaveLength(200 - admitted);
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: admitted * amount }]);
    });
  });

  describe('brakes: loop', () => {
    it('refuses a step repeated more than maxRepeats times in a row; another step starts over', async () => {
      const run = scope('run', ctx.id('run'), BIG);
      for (let repeat = 0; repeat <= 2; repeat += 1) await reserveOk(ctx, [run], 10, { brakes: loop(run.id, 'A', 2) });
      const request = reserveRequest(ctx, [run], 10, { brakes: loop(run.id, 'A', 2) });
      const braked = expectBraked(await ctx.ledger.reserve(request));
      expect(braked.brake).toEqual({ kind: 'loop', runId: run.id, repeats: 3, maxRepeats: 2 });
      expect(await ctx.ledger.getReservation(request.reservationId)).toBeNull();
      expectBraked(await reserveWith([run], 10, loop(run.id, 'A', 2)));
      await reserveOk(ctx, [run], 10, { brakes: loop(run.id, 'B', 2) });
      await reserveOk(ctx, [run], 10, { brakes: loop(run.id, 'A', 2) });
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 50 }]);
    });

    it('a reserve refused by a ceiling does not count as a step; runs count apart', async () => {
      const run = scope('run', ctx.id('run'), 100);
      const other = scope('run', ctx.id('run'), BIG);
      await reserveOk(ctx, [run], 10, { brakes: loop(run.id, 'A', 1) });
      expectBlocked(await reserveWith([run], 1_000, loop(run.id, 'A', 1)));
      await reserveOk(ctx, [other], 10, { brakes: loop(other.id, 'A', 1) });
      await reserveOk(ctx, [run], 10, { brakes: loop(run.id, 'A', 1) });
      expect(expectBraked(await reserveWith([run], 10, loop(run.id, 'A', 1))).brake).toMatchObject({ repeats: 2 });
      await reserveOk(ctx, [other], 10, { brakes: loop(other.id, 'A', 1) });
    });

    it('an advisory run is never refused; a brake must name a run scope of the request', async () => {
      const run = scope('run', ctx.id('run'), 100, 'advisory_estimate');
      for (let repeat = 0; repeat < 4; repeat += 1) await reserveOk(ctx, [run], 10, { brakes: loop(run.id, 'A', 0) });
      await expectLedgerError(reserveWith([run], 10, loop(ctx.id('other'), 'A', 1)), 'invalid_scope');
      await expectLedgerError(reserveWith([run], 10, loop(run.id, '', 1)), 'invalid_scope');
    });
  });

  describe('sub-agent run scopes', () => {
    it('5 children x 10 concurrent reserves admit exactly what the parent ceiling allows', async () => {
      const amount = 7_919;
      const parent = scope('run', ctx.id('parent'), 200_003);
      const children = Array.from({ length: 5 }, () => scope('run', ctx.id('child'), BIG));
      const outcomes = await Promise.all(
        children.flatMap((child) => Array.from({ length: 10 }, () => reserveWith([child, parent], amount, {}))),
      );
      const admitted = outcomes.filter((outcome) => outcome.kind === 'reserved');
      expect(admitted).toHaveLength(Math.floor(200_003 / amount));
      for (const outcome of outcomes) {
        if (outcome.kind === 'blocked') expect(outcome.blocking.id).toBe(parent.id);
      }
      expect(await counters(ctx, [parent])).toEqual([{ committed: 0, reserved: admitted.length * amount }]);
      const childTotals = await counters(ctx, children);
      expect(childTotals.reduce((sum, view) => sum + view.reserved, 0)).toBe(admitted.length * amount);
    });
  });
}
