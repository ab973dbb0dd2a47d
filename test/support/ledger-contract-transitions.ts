// Contract: the reservation state machine (docs/design.md §3.3) outside expiry: forward, extend,
// commit, release; idempotent repeats, overruns, illegal transitions, unknown ids.
import { describe, expect, it } from 'vitest';
import type { ContractContext } from './ledger-fixtures.js';
import { MINUTE_MS, counters, expectLedgerError, reserveOk, scope } from './ledger-fixtures.js';

const TOKENS = { inputTokens: 1_000, outputTokens: 200, cachedInputTokens: 100, reasoningTokens: 50 };

export function registerTransitionsContract(ctx: ContractContext): void {
  describe('transitions', () => {
    it('reserved -> forwarded -> committed moves the hold into committed; repeats change nothing', async () => {
      const run = scope('run', ctx.id('run'), 10_000);
      const user = scope('user', ctx.id('user'), 5_000, 'soft_gate', '1d', 100);
      const reservation = await reserveOk(ctx, [run, user], 2_000);
      const forwarded = await ctx.ledger.markForwarded(reservation.id);
      expect(forwarded).toMatchObject({ changed: true, reservation: { state: 'forwarded' } });
      const again = await ctx.ledger.markForwarded(reservation.id);
      expect(again).toEqual({ changed: false, reservation: forwarded.reservation });
      const committed = await ctx.ledger.commit(reservation.id, {
        actualMicros: 1_500,
        usageSource: 'provider',
        tokens: TOKENS,
      });
      expect(committed.changed).toBe(true);
      expect(committed.reservation).toMatchObject({
        state: 'committed',
        actualMicros: 1_500,
        overrunMicros: 0,
        usageSource: 'provider',
        tokens: TOKENS,
      });
      expect(committed.reservation.settledAtMs).not.toBeNull();
      expect(await counters(ctx, [run, user])).toEqual([
        { committed: 1_500, reserved: 0 },
        { committed: 1_500, reserved: 0 },
      ]);
      const repeat = await ctx.ledger.commit(reservation.id, { actualMicros: 9_999, usageSource: 'estimated' });
      expect(repeat).toEqual({ changed: false, reservation: committed.reservation });
      expect(await counters(ctx, [run, user])).toEqual([
        { committed: 1_500, reserved: 0 },
        { committed: 1_500, reserved: 0 },
      ]);
      expect(await ctx.ledger.getReservation(reservation.id)).toEqual(committed.reservation);
    });

    it('reserved -> committed directly (decision-plane callers) and commits every scope, held or not', async () => {
      const run = scope('run', ctx.id('run'), 10_000);
      const team = scope('team', ctx.id('team'), 10_000, 'actuals_only');
      const feature = scope('feature', ctx.id('feature'), null);
      const reservation = await reserveOk(ctx, [run, team, feature], 800);
      const result = await ctx.ledger.commit(reservation.id, { actualMicros: 300, usageSource: 'caller' });
      expect(result.reservation).toMatchObject({ state: 'committed', actualMicros: 300, tokens: null });
      expect(await counters(ctx, [run, team, feature])).toEqual([
        { committed: 300, reserved: 0 },
        { committed: 300, reserved: 0 },
        { committed: 300, reserved: 0 },
      ]);
    });

    it('release returns the hold from reserved and from forwarded; a repeat is a no-op', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const a = await reserveOk(ctx, [run], 300);
      const b = await reserveOk(ctx, [run], 400);
      await ctx.ledger.markForwarded(b.id);
      expect((await ctx.ledger.release(a.id)).reservation).toMatchObject({ state: 'released', actualMicros: null });
      const released = await ctx.ledger.release(b.id);
      expect(released).toMatchObject({ changed: true, reservation: { state: 'released' } });
      expect(await ctx.ledger.release(b.id)).toEqual({ changed: false, reservation: released.reservation });
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 0 }]);
    });

    it('an overrun is committed in full, never capped, and flagged', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const reservation = await reserveOk(ctx, [run], 800);
      const result = await ctx.ledger.commit(reservation.id, { actualMicros: 1_500, usageSource: 'provider' });
      expect(result.reservation).toMatchObject({ actualMicros: 1_500, overrunMicros: 700 });
      const view = (await ctx.ledger.view(ctx.tenant, [run]))[0];
      expect(view).toMatchObject({ committedMicros: 1_500, reservedMicros: 0, availableMicros: -500 });
      await expectLedgerError(ctx.ledger.release(reservation.id), 'invalid_transition');
    });

    it('extend pushes expiry to now + ttl and never shortens it', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const reservation = await reserveOk(ctx, [run], 10, { ttlMs: 10 * MINUTE_MS });
      const shorter = await ctx.ledger.extend(reservation.id, MINUTE_MS);
      expect(shorter).toEqual({ changed: false, reservation });
      const longer = await ctx.ledger.extend(reservation.id, 60 * MINUTE_MS);
      expect(longer.changed).toBe(true);
      expect(longer.reservation.expiresAtMs).toBeGreaterThanOrEqual(reservation.expiresAtMs + 50 * MINUTE_MS);
      const forwarded = await ctx.ledger.markForwarded(reservation.id, 120 * MINUTE_MS);
      expect(forwarded.reservation.expiresAtMs).toBeGreaterThanOrEqual(reservation.expiresAtMs + 110 * MINUTE_MS);
      await ctx.ledger.commit(reservation.id, { actualMicros: 5, usageSource: 'provider' });
      await expectLedgerError(ctx.ledger.extend(reservation.id, MINUTE_MS), 'invalid_transition');
      await expectLedgerError(ctx.ledger.extend(reservation.id, 0), 'invalid_amount');
    });

    it('illegal transitions fail with invalid_transition and change no counter', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const released = await reserveOk(ctx, [run], 100);
      await ctx.ledger.release(released.id);
      const committed = await reserveOk(ctx, [run], 200);
      await ctx.ledger.commit(committed.id, { actualMicros: 150, usageSource: 'provider' });
      const before = await ctx.ledger.view(ctx.tenant, [run]);
      await expectLedgerError(
        ctx.ledger.commit(released.id, { actualMicros: 50, usageSource: 'provider' }),
        'invalid_transition',
      );
      await expectLedgerError(ctx.ledger.markForwarded(released.id), 'invalid_transition');
      await expectLedgerError(ctx.ledger.release(committed.id), 'invalid_transition');
      await expectLedgerError(ctx.ledger.markForwarded(committed.id), 'invalid_transition');
      expect(await ctx.ledger.view(ctx.tenant, [run])).toEqual(before);
      expect((await ctx.ledger.getReservation(released.id))?.state).toBe('released');
      expect((await ctx.ledger.getReservation(committed.id))?.state).toBe('committed');
    });

    it('unknown reservation ids fail with reservation_not_found', async () => {
      const missing = ctx.id('rsv_missing');
      await expectLedgerError(ctx.ledger.markForwarded(missing), 'reservation_not_found');
      await expectLedgerError(ctx.ledger.extend(missing, MINUTE_MS), 'reservation_not_found');
      await expectLedgerError(
        ctx.ledger.commit(missing, { actualMicros: 1, usageSource: 'provider' }),
        'reservation_not_found',
      );
      await expectLedgerError(ctx.ledger.release(missing), 'reservation_not_found');
      expect(await ctx.ledger.getReservation(missing)).toBeNull();
    });

    it.each([
      ['negative', -1],
      ['fractional', 0.5],
      ['NaN', Number.NaN],
    ])('a %s actual is invalid_amount and leaves the reservation live', async (_label, actual) => {
      const run = scope('run', ctx.id('run'), 1_000);
      const reservation = await reserveOk(ctx, [run], 100);
      await expectLedgerError(
        ctx.ledger.commit(reservation.id, { actualMicros: actual, usageSource: 'provider' }),
        'invalid_amount',
      );
      expect(await ctx.ledger.getReservation(reservation.id)).toEqual(reservation);
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 100 }]);
    });

    it('ping answers on an open store', async () => {
      await expect(ctx.ledger.ping()).resolves.toBeUndefined();
    });
  });
}
