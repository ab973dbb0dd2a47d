// Contract: races. N parallel reserves against one hard_gate ceiling admit exactly
// floor(ceiling / amount) (docs/design.md §3.4), in one process and, when the harness can spawn
// them, from several OS processes; concurrent sweeps expire each reservation once.
import { describe, expect, it } from 'vitest';
import type { ContractContext } from './ledger-fixtures.js';
import { MINUTE_MS, counters, expectReserved, reserveRequest, scope } from './ledger-fixtures.js';
import type { RaceWorkerResult } from './ledger-race.js';

const CEILING_MICROS = 1_000_003;
const AMOUNT_MICROS = 7_919;
const WORKERS = 4;
const PER_WORKER = 50;
const EXPECTED_ADMITTED = Math.floor(CEILING_MICROS / AMOUNT_MICROS); // 126 of 200

function total(results: readonly RaceWorkerResult[], field: 'admitted' | 'blocked' | 'expired'): number {
  return results.reduce((sum, result) => sum + result[field], 0);
}

export function registerRaceContract(ctx: ContractContext, multiProcessRequired: boolean): void {
  describe('races', () => {
    it(`200 concurrent reserves in one process admit exactly floor(ceiling / amount)`, async () => {
      const run = scope('run', ctx.id('run'), CEILING_MICROS);
      const team = scope('team', ctx.id('team'), null);
      const outcomes = await Promise.all(
        Array.from({ length: WORKERS * PER_WORKER }, () =>
          ctx.ledger.reserve(reserveRequest(ctx, [run, team], AMOUNT_MICROS)),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.kind === 'reserved')).toHaveLength(EXPECTED_ADMITTED);
      const [view] = await ctx.ledger.view(ctx.tenant, [run]);
      expect(view?.reservedMicros).toBe(EXPECTED_ADMITTED * AMOUNT_MICROS);
      expect((view?.committedMicros ?? 0) + (view?.reservedMicros ?? 0)).toBeLessThanOrEqual(CEILING_MICROS);
    });

    it(`${WORKERS} processes x ${PER_WORKER} concurrent reserves admit exactly floor(ceiling / amount)`, async (test) => {
      const spawnWorkers = ctx.raceWorkers;
      if (spawnWorkers === undefined) {
        if (multiProcessRequired)
          throw new Error('this backend must run the multi-process race but its harness has no raceWorkers');
        return test.skip();
      }
      const run = scope('run', ctx.id('run'), CEILING_MICROS);
      const results = await spawnWorkers(WORKERS, {
        op: 'reserve',
        tenant: ctx.tenant,
        scopes: [run],
        amountMicros: AMOUNT_MICROS,
        perWorker: PER_WORKER,
        ttlMs: 24 * 60 * MINUTE_MS,
        idPrefix: ctx.id('race'),
      });
      expect(results.flatMap((result) => result.errors)).toEqual([]);
      expect(total(results, 'admitted')).toBe(EXPECTED_ADMITTED);
      expect(total(results, 'blocked')).toBe(WORKERS * PER_WORKER - EXPECTED_ADMITTED);
      const [view] = await ctx.ledger.view(ctx.tenant, [run]);
      expect(view?.reservedMicros).toBe(EXPECTED_ADMITTED * AMOUNT_MICROS);
      expect((view?.committedMicros ?? 0) + (view?.reservedMicros ?? 0)).toBeLessThanOrEqual(CEILING_MICROS);
    });

    it(`${WORKERS} processes x ${PER_WORKER} concurrent reserves under the velocity brake never overshoot it`, async (test) => {
      const spawnWorkers = ctx.raceWorkers;
      if (spawnWorkers === undefined) {
        if (multiProcessRequired)
          throw new Error('this backend must run the multi-process race but its harness has no raceWorkers');
        return test.skip();
      }
      // The run's ceiling is far away: only the per-minute limit decides.
      const run = scope('run', ctx.id('run'), CEILING_MICROS * 100);
      const results = await spawnWorkers(WORKERS, {
        op: 'reserve',
        tenant: ctx.tenant,
        scopes: [run],
        amountMicros: AMOUNT_MICROS,
        perWorker: PER_WORKER,
        ttlMs: 24 * 60 * MINUTE_MS,
        idPrefix: ctx.id('race'),
        brakes: { velocity: { limitMicros: CEILING_MICROS } },
      });
      expect(results.flatMap((result) => result.errors)).toEqual([]);
      expect(total(results, 'admitted')).toBe(EXPECTED_ADMITTED);
      expect(total(results, 'blocked')).toBe(WORKERS * PER_WORKER - EXPECTED_ADMITTED);
      const [view] = await ctx.ledger.view(ctx.tenant, [run]);
      expect(view?.reservedMicros).toBe(EXPECTED_ADMITTED * AMOUNT_MICROS);
    });

    it(`${WORKERS} processes sweeping at once expire each reservation exactly once`, async (test) => {
      const spawnWorkers = ctx.raceWorkers;
      if (spawnWorkers === undefined) {
        if (multiProcessRequired)
          throw new Error('this backend must run the multi-process sweep race but its harness has no raceWorkers');
        return test.skip();
      }
      const run = scope('run', ctx.id('run'), 10_000_000);
      const count = 300;
      const ids: string[] = [];
      for (let index = 0; index < count; index += 1) {
        const { reservation } = expectReserved(
          await ctx.ledger.reserve(reserveRequest(ctx, [run], 1_000, { ttlMs: MINUTE_MS })),
        );
        if (index % 2 === 0) await ctx.ledger.markForwarded(reservation.id);
        ids.push(reservation.id);
      }
      const results = await spawnWorkers(WORKERS, { op: 'expire', nowMs: ctx.now() + 24 * 60 * MINUTE_MS });
      expect(results.flatMap((result) => result.errors)).toEqual([]);
      expect(total(results, 'expired')).toBe(count);
      expect(await counters(ctx, [run])).toEqual([{ committed: (count / 2) * 1_000, reserved: 0 }]);
      const states = await Promise.all(ids.map(async (id) => (await ctx.ledger.getReservation(id))?.state));
      expect(new Set(states)).toEqual(new Set(['expired']));
    });
  });
}
