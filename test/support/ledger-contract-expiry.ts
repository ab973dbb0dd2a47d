// Contract: expiry and windows. reserved -> expired releases, forwarded -> expired
// charges, a late commit reconciles, extensions protect live streams, each reservation
// expires once, and windowed scopes roll over. Assumes a skew tolerance under 5 minutes.
import { describe, expect, it } from 'vitest';
import type { ContractContext } from './ledger-fixtures.js';
import {
  MINUTE_MS,
  counters,
  expectLedgerError,
  expireOwn,
  expectReserved,
  reserveOk,
  reserveRequest,
  scope,
} from './ledger-fixtures.js';

/** Far enough past an expiry to clear any reasonable skew tolerance. */
const PAST_SKEW_MS = 10 * MINUTE_MS;

export function registerExpiryContract(ctx: ContractContext): void {
  describe('expiry', () => {
    it('a reserved (never forwarded) reservation expires with its hold released, uncharged', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const reservation = await reserveOk(ctx, [run], 600, { ttlMs: MINUTE_MS });
      expect(await expireOwn(ctx, ctx.now())).toEqual([]);
      const expired = await expireOwn(ctx, reservation.expiresAtMs + PAST_SKEW_MS);
      expect(expired).toHaveLength(1);
      expect(expired[0]).toMatchObject({
        charged: false,
        reservation: { id: reservation.id, state: 'expired', actualMicros: null },
      });
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 0 }]);
      expect(await expireOwn(ctx, reservation.expiresAtMs + PAST_SKEW_MS)).toEqual([]);
      await expectLedgerError(
        ctx.ledger.commit(reservation.id, { actualMicros: 10, usageSource: 'provider' }),
        'invalid_transition',
      );
      await expectLedgerError(ctx.ledger.release(reservation.id), 'invalid_transition');
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 0 }]);
    });

    it('a forwarded reservation expires charged in full, exactly once', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const user = scope('user', ctx.id('user'), null);
      const reservation = await reserveOk(ctx, [run, user], 600, { ttlMs: MINUTE_MS });
      await ctx.ledger.markForwarded(reservation.id);
      const expired = await expireOwn(ctx, reservation.expiresAtMs + PAST_SKEW_MS);
      expect(expired).toHaveLength(1);
      expect(expired[0]).toMatchObject({
        charged: true,
        reservation: { state: 'expired', actualMicros: 600, usageSource: 'expired' },
      });
      expect(await counters(ctx, [run, user])).toEqual([
        { committed: 600, reserved: 0 },
        { committed: 600, reserved: 0 },
      ]);
      expect(await expireOwn(ctx, reservation.expiresAtMs + 2 * PAST_SKEW_MS)).toEqual([]);
      await expectLedgerError(ctx.ledger.release(reservation.id), 'invalid_transition');
      await expectLedgerError(ctx.ledger.markForwarded(reservation.id), 'invalid_transition');
    });

    it.each([
      ['lower', 250, 0],
      ['higher', 900, 300],
    ])('a late commit reconciles an expired charge to the %s actual', async (_label, actual, overrun) => {
      const run = scope('run', ctx.id('run'), 1_000);
      const team = scope('team', ctx.id('team'), 5_000, 'actuals_only');
      const reservation = await reserveOk(ctx, [run, team], 600, { ttlMs: MINUTE_MS });
      await ctx.ledger.markForwarded(reservation.id);
      await expireOwn(ctx, reservation.expiresAtMs + PAST_SKEW_MS);
      const late = await ctx.ledger.commit(reservation.id, { actualMicros: actual, usageSource: 'provider' });
      expect(late).toMatchObject({
        changed: true,
        reservation: { state: 'reconciled', actualMicros: actual, overrunMicros: overrun },
      });
      expect(await counters(ctx, [run, team])).toEqual([
        { committed: actual, reserved: 0 },
        { committed: actual, reserved: 0 },
      ]);
      const repeat = await ctx.ledger.commit(reservation.id, { actualMicros: 1, usageSource: 'provider' });
      expect(repeat).toEqual({ changed: false, reservation: late.reservation });
      expect(await counters(ctx, [run, team])).toEqual([
        { committed: actual, reserved: 0 },
        { committed: actual, reserved: 0 },
      ]);
    });

    it('a reservation made already forwarded holds like one marked forwarded, and expires charged', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const reservation = await reserveOk(ctx, [run], 600, { ttlMs: MINUTE_MS, forwarded: true });
      expect(reservation.state).toBe('forwarded');
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 600 }]);
      expect((await ctx.ledger.markForwarded(reservation.id)).changed).toBe(false);
      const expired = await expireOwn(ctx, reservation.expiresAtMs + PAST_SKEW_MS);
      expect(expired).toHaveLength(1);
      expect(expired[0]).toMatchObject({
        charged: true,
        reservation: { id: reservation.id, state: 'expired', actualMicros: 600 },
      });
      expect(await counters(ctx, [run])).toEqual([{ committed: 600, reserved: 0 }]);
    });

    it('a forwarded reservation whose expiry was extended is not expired', async () => {
      const run = scope('run', ctx.id('run'), 1_000);
      const reservation = await reserveOk(ctx, [run], 100, { ttlMs: MINUTE_MS });
      const forwarded = await ctx.ledger.markForwarded(reservation.id, 60 * MINUTE_MS);
      expect(await expireOwn(ctx, reservation.expiresAtMs + PAST_SKEW_MS)).toEqual([]);
      const extended = await ctx.ledger.extend(reservation.id, 120 * MINUTE_MS);
      expect(await expireOwn(ctx, forwarded.reservation.expiresAtMs + PAST_SKEW_MS)).toEqual([]);
      expect((await ctx.ledger.getReservation(reservation.id))?.state).toBe('forwarded');
      const expired = await expireOwn(ctx, extended.reservation.expiresAtMs + PAST_SKEW_MS);
      expect(expired.map((entry) => entry.reservation.id)).toEqual([reservation.id]);
    });

    it('expireDue without an argument uses the store clock', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const run = scope('run', ctx.id('run'), 1_000);
      const reservation = await reserveOk(ctx, [run], 100, { ttlMs: MINUTE_MS });
      ctx.advance(30_000);
      expect(await expireOwn(ctx)).toEqual([]);
      ctx.advance(MINUTE_MS + PAST_SKEW_MS);
      expect((await expireOwn(ctx)).map((entry) => entry.reservation.id)).toEqual([reservation.id]);
    });

    it('only due reservations expire; the rest stay live', async () => {
      const run = scope('run', ctx.id('run'), 10_000);
      const soon = await reserveOk(ctx, [run], 100, { ttlMs: MINUTE_MS });
      const later = await reserveOk(ctx, [run], 200, { ttlMs: 120 * MINUTE_MS });
      const expired = await expireOwn(ctx, soon.expiresAtMs + PAST_SKEW_MS);
      expect(expired.map((entry) => entry.reservation.id)).toEqual([soon.id]);
      expect((await ctx.ledger.getReservation(later.id))?.state).toBe('reserved');
      expect(await counters(ctx, [run])).toEqual([{ committed: 0, reserved: 200 }]);
    });
  });

  describe('windows', () => {
    it('a 1h key scope rolls over when the clock passes the hour', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const key = scope('key', ctx.id('key'), 1_000, 'hard_gate', '1h');
      const first = await reserveOk(ctx, [key], 500);
      await ctx.ledger.commit(first.id, { actualMicros: 500, usageSource: 'provider' });
      const pending = await reserveOk(ctx, [key], 400);
      expect(await counters(ctx, [key])).toEqual([{ committed: 500, reserved: 400 }]);
      const oldView = (await ctx.ledger.view(ctx.tenant, [key]))[0];

      ctx.advance(31 * MINUTE_MS); // 13:30 -> 14:01
      const newView = (await ctx.ledger.view(ctx.tenant, [key]))[0];
      expect(newView).toMatchObject({ committedMicros: 0, reservedMicros: 0, availableMicros: 1_000 });
      expect(newView?.key).not.toBe(oldView?.key);
      expect(newView?.windowStartMs).toBe(Date.UTC(2026, 10, 29, 14));
      expect(oldView?.windowStartMs).toBe(Date.UTC(2026, 10, 29, 13));
      const fresh = expectReserved(await ctx.ledger.reserve(reserveRequest(ctx, [key], 1_000)));
      expect(fresh.scopes[0]).toMatchObject({ committedMicros: 0, reservedMicros: 1_000 });

      // The hold made in the old bucket settles there and leaves the new bucket alone.
      await ctx.ledger.commit(pending.id, { actualMicros: 300, usageSource: 'provider' });
      expect(await counters(ctx, [key])).toEqual([{ committed: 0, reserved: 1_000 }]);
    });
  });
}
