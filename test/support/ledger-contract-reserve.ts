// Contract: reserve. Every enforcement mode, the tightest blocking scope, attribution-
// only scopes, multi-scope atomicity, idempotency and bad input.
import { describe, expect, it } from 'vitest';
import { scopeKey } from '../../src/ledger/index.js';
import type { ContractContext } from './ledger-fixtures.js';
import {
  counters,
  expectBlocked,
  expectLedgerError,
  expectReserved,
  reserveOk,
  reserveRequest,
  scope,
} from './ledger-fixtures.js';

export function registerReserveContract(ctx: ContractContext): void {
  describe('reserve: modes', () => {
    it('hard_gate holds the amount, admits an exact fit, and blocks beyond the available amount', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const first = expectReserved(await ctx.ledger.reserve(reserveRequest(ctx, [run], 600)));
      expect(first.reused).toBe(false);
      expect(first.reservation.state).toBe('reserved');
      expect(first.reservation.amountMicros).toBe(600);
      expect(first.reservation.scopes).toEqual([{ key: first.scopes[0]?.key, type: 'run', id: run.id, held: true }]);
      expect(first.scopes[0]).toMatchObject({
        committedMicros: 0,
        reservedMicros: 600,
        availableMicros: 400,
        limitMicros: 1_000,
      });
      const blocked = expectBlocked(await ctx.ledger.reserve(reserveRequest(ctx, [run], 401)));
      expect(blocked.blocking).toMatchObject({ type: 'run', id: run.id, availableMicros: 400, reservedMicros: 600 });
      await reserveOk(ctx, [run], 400);
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 1_000 }]);
      expectBlocked(await ctx.ledger.reserve(reserveRequest(ctx, [run], 1)));
    });

    it('soft_gate holds and admits up to available + margin', async () => {
      const user = scope('user', ctx.id('user'), 1_000, 'soft_gate', 'none', 200);
      await reserveOk(ctx, [user], 1_200);
      expect(await counters(ctx, [user])).toEqual([{ committed: 0, reserved: 1_200 }]);
      const blocked = expectBlocked(await ctx.ledger.reserve(reserveRequest(ctx, [user], 1)));
      expect(blocked.blocking.availableMicros).toBe(-200);
      const other = scope('user', ctx.id('user'), 1_000, 'soft_gate', 'none', 200);
      expectBlocked(await ctx.ledger.reserve(reserveRequest(ctx, [other], 1_201)));
    });

    it('actuals_only holds nothing and blocks only once committed reaches the limit', async () => {
      const team = scope('team', ctx.id('team'), 1_000, 'actuals_only');
      const big = await reserveOk(ctx, [team], 5_000);
      expect(big.scopes[0]?.held).toBe(false);
      expect(await counters(ctx, [team])).toEqual([{ committed: 0, reserved: 0 }]);
      await ctx.ledger.commit(big.id, { actualMicros: 999, usageSource: 'provider' });
      const small = await reserveOk(ctx, [team], 10);
      await ctx.ledger.commit(small.id, { actualMicros: 1, usageSource: 'provider' });
      expect(await counters(ctx, [team])).toEqual([{ committed: 1_000, reserved: 0 }]);
      const blocked = expectBlocked(await ctx.ledger.reserve(reserveRequest(ctx, [team], 0)));
      expect(blocked.blocking).toMatchObject({ mode: 'actuals_only', committedMicros: 1_000, availableMicros: 0 });
    });

    it('advisory_estimate never holds or blocks and warns when the amount does not fit', async () => {
      const key = scope('key', ctx.id('key'), 1_000, 'advisory_estimate');
      const fits = expectReserved(await ctx.ledger.reserve(reserveRequest(ctx, [key], 1_000)));
      expect(fits.warnings).toEqual([]);
      expect(fits.reservation.scopes[0]?.held).toBe(false);
      const over = expectReserved(await ctx.ledger.reserve(reserveRequest(ctx, [key], 1_001)));
      expect(over.warnings.map((view) => view.id)).toEqual([key.id]);
      expect(await counters(ctx, [key])).toEqual([{ committed: 0, reserved: 0 }]);
      await ctx.ledger.commit(over.reservation.id, { actualMicros: 1_500, usageSource: 'provider' });
      const after = expectReserved(await ctx.ledger.reserve(reserveRequest(ctx, [key], 1)));
      expect(after.warnings[0]).toMatchObject({ committedMicros: 1_500, availableMicros: -500 });
    });

    it('a scope without a limit never holds or blocks but still counts committed spend', async () => {
      const feature = scope('feature', ctx.id('feature'), null, 'hard_gate');
      const reservation = await reserveOk(ctx, [feature], Number.MAX_SAFE_INTEGER);
      expect(reservation.scopes[0]?.held).toBe(false);
      const view = (await ctx.ledger.view(ctx.tenant, [feature]))[0];
      expect(view).toMatchObject({ limitMicros: null, availableMicros: null, reservedMicros: 0 });
      await ctx.ledger.commit(reservation.id, { actualMicros: 42, usageSource: 'provider' });
      expect(await counters(ctx, [feature])).toEqual([{ committed: 42, reserved: 0 }]);
      expect(
        (await ctx.ledger.commit(reservation.id, { actualMicros: 42, usageSource: 'provider' })).reservation
          .overrunMicros,
      ).toBe(0);
    });

    it('reports the failing scope with the smallest available amount as blocking', async () => {
      const advisory = scope('feature', ctx.id('f'), 10, 'advisory_estimate');
      const run = scope('run', ctx.id('run'), 100);
      const user = scope('user', ctx.id('user'), 50);
      const team = scope('team', ctx.id('team'), 5_000);
      const blocked = expectBlocked(await ctx.ledger.reserve(reserveRequest(ctx, [advisory, run, user, team], 200)));
      expect(blocked.blocking).toMatchObject({ type: 'user', id: user.id, availableMicros: 50 });
      expect(blocked.scopes.map((view) => view.type)).toEqual(['feature', 'run', 'user', 'team']);
    });

    it('views and outcomes use the canonical scope key of the current bucket', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const key = scope('key', ctx.id('key'), 1_000, 'hard_gate', '1d');
      const outcome = expectReserved(await ctx.ledger.reserve(reserveRequest(ctx, [key], 1)));
      expect(outcome.scopes[0]?.key).toBe(scopeKey(key, ctx.now()));
      expect(outcome.scopes[0]?.windowStartMs).toBe(Date.UTC(2026, 10, 29));
      expect(outcome.reservation.scopes[0]?.key).toBe(scopeKey(key, ctx.now()));
    });
  });

  describe('reserve: atomicity across scopes', () => {
    it('a reserve that fits the run but not the user ceiling writes nothing anywhere', async () => {
      const run = scope('run', ctx.id('run'), 10_000);
      const user = scope('user', ctx.id('user'), 1_000, 'hard_gate', '1d');
      const team = scope('team', ctx.id('team'), null);
      await reserveOk(ctx, [run, user, team], 700);
      const before = await ctx.ledger.view(ctx.tenant, [run, user, team]);
      const request = reserveRequest(ctx, [run, user, team], 400);
      const blocked = expectBlocked(await ctx.ledger.reserve(request));
      expect(blocked.blocking).toMatchObject({ type: 'user', availableMicros: 300 });
      expect(await ctx.ledger.view(ctx.tenant, [run, user, team])).toEqual(before);
      expect(await ctx.ledger.getReservation(request.reservationId)).toBeNull();
      await reserveOk(ctx, [run, user, team], 300);
      expect(await counters(ctx, [run, user, team])).toEqual([
        { committed: 0, reserved: 1_000 },
        { committed: 0, reserved: 1_000 },
        { committed: 0, reserved: 0 },
      ]);
    });

    it('a blocked reserve on never-used scopes leaves them at zero', async () => {
      const run = scope('run', ctx.id('run'), 100);
      const key = scope('key', ctx.id('key'), 10, 'hard_gate', '1h');
      expectBlocked(await ctx.ledger.reserve(reserveRequest(ctx, [run, key], 50)));
      expect(await counters(ctx, [run, key])).toEqual([
        { committed: 0, reserved: 0 },
        { committed: 0, reserved: 0 },
      ]);
    });
  });

  describe('reserve: idempotency', () => {
    it('the same Idempotency-Key while live returns the first hold instead of a second', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const first = expectReserved(
        await ctx.ledger.reserve(reserveRequest(ctx, [run], 300, { idempotencyKey: 'idem-1' })),
      );
      const second = expectReserved(
        await ctx.ledger.reserve(reserveRequest(ctx, [run], 300, { idempotencyKey: 'idem-1' })),
      );
      expect(second.reused).toBe(true);
      expect(second.reservation.id).toBe(first.reservation.id);
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 300 }]);
      await ctx.ledger.markForwarded(first.reservation.id);
      const third = expectReserved(
        await ctx.ledger.reserve(reserveRequest(ctx, [run], 300, { idempotencyKey: 'idem-1' })),
      );
      expect(third).toMatchObject({ reused: true, reservation: { id: first.reservation.id, state: 'forwarded' } });
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 300 }]);
    });

    it('after settlement the same key may make a new hold; other tenants are independent', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const first = await reserveOk(ctx, [run], 300, { idempotencyKey: 'idem-2' });
      await ctx.ledger.commit(first.id, { actualMicros: 100, usageSource: 'provider' });
      const again = expectReserved(
        await ctx.ledger.reserve(reserveRequest(ctx, [run], 300, { idempotencyKey: 'idem-2' })),
      );
      expect(again.reused).toBe(false);
      expect(again.reservation.id).not.toBe(first.id);
      await ctx.ledger.release(again.reservation.id);
      const third = expectReserved(
        await ctx.ledger.reserve(reserveRequest(ctx, [run], 300, { idempotencyKey: 'idem-2' })),
      );
      expect(third.reused).toBe(false);
      const otherTenant = ctx.id('tenant');
      const elsewhere = expectReserved(
        await ctx.ledger.reserve(reserveRequest(ctx, [run], 300, { idempotencyKey: 'idem-2', tenant: otherTenant })),
      );
      expect(elsewhere.reused).toBe(false);
      expect(await counters(ctx, [run])).toEqual([{ committed: 100, reserved: 300 }]);
    });

    it('repeating a reserve with the same reservation id returns the live reservation', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const request = reserveRequest(ctx, [run], 400);
      expectReserved(await ctx.ledger.reserve(request));
      const repeat = expectReserved(await ctx.ledger.reserve(request));
      expect(repeat.reused).toBe(true);
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 400 }]);
    });
  });

  describe('reserve: bad input', () => {
    const badAmounts: ReadonlyArray<[string, number]> = [
      ['negative', -1],
      ['fractional', 1.5],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['unsafe', Number.MAX_SAFE_INTEGER + 2],
    ];
    it.each(badAmounts)('a %s amount is invalid_amount and writes nothing', async (_label, amount) => {
      const run = scope('run', ctx.id('run'), 1_000);
      const request = reserveRequest(ctx, [run], amount);
      await expectLedgerError(ctx.ledger.reserve(request), 'invalid_amount');
      expect(await ctx.ledger.getReservation(request.reservationId)).toBeNull();
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 0 }]);
    });

    it('a non-positive ttl is invalid_amount', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      await expectLedgerError(ctx.ledger.reserve(reserveRequest(ctx, [run], 1, { ttlMs: 0 })), 'invalid_amount');
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 0 }]);
    });

    it('malformed scopes are invalid_scope and write nothing', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      await expectLedgerError(ctx.ledger.reserve(reserveRequest(ctx, [], 1)), 'invalid_scope');
      await expectLedgerError(ctx.ledger.reserve(reserveRequest(ctx, [run, run], 1)), 'invalid_scope');
      await expectLedgerError(
        ctx.ledger.reserve(reserveRequest(ctx, [run, scope('user', 'u', -5)], 1)),
        'invalid_scope',
      );
      await expectLedgerError(ctx.ledger.reserve(reserveRequest(ctx, [run, scope('user', '', 5)], 1)), 'invalid_scope');
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 0 }]);
    });
  });
}
