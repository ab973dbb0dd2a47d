// Contract: model-based property test. Random sequences of reserves, forwards,
// commits, releases and expiries over 3 scopes of random modes and limits must match
// the reference model in ledger-model.ts outcome by outcome and counter by counter.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LedgerError } from '../../src/ledger/index.js';
import type { EnforcementMode, ScopeSpec } from '../../src/ledger/index.js';
import type { ContractContext } from './ledger-fixtures.js';
import { MINUTE_MS, reserveRequest } from './ledger-fixtures.js';
import { LedgerModel, type Prediction } from './ledger-model.js';

type Op =
  | {
      readonly t: 'reserve';
      readonly amount: number;
      readonly mask: number;
      readonly idem: string | null;
      /** When set, the amount is placed at a scope's boundary (available [+ margin] + delta) instead. */
      readonly edge: { readonly scope: number; readonly delta: number } | null;
    }
  | { readonly t: 'forward' | 'release' | 'repeat'; readonly pick: number }
  | { readonly t: 'commit'; readonly pick: number; readonly actual: number }
  | { readonly t: 'expire' };

const MODES: readonly EnforcementMode[] = ['hard_gate', 'soft_gate', 'actuals_only', 'advisory_estimate'];
const TYPES = ['run', 'user', 'team'] as const;

const specsArb = fc.tuple(
  ...TYPES.map((type) =>
    fc
      .record({
        mode: fc.constantFrom(...MODES),
        limit: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: null, freq: 5 }),
        margin: fc.integer({ min: 0, max: 300 }),
      })
      .map(({ mode, limit, margin }): ScopeSpec => ({
        type,
        id: `${type}_model`,
        window: 'none',
        limitMicros: limit,
        mode,
        marginMicros: margin,
      })),
  ),
);

const amountArb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 1_200 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, Number.NaN) },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('reserve' as const),
      amount: amountArb,
      mask: fc.integer({ min: 1, max: 7 }),
      idem: fc.constantFrom(null, null, 'idem-a', 'idem-b'),
      edge: fc.option(fc.record({ scope: fc.integer({ min: 0, max: 2 }), delta: fc.integer({ min: -1, max: 1 }) }), {
        nil: null,
      }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constantFrom('forward' as const, 'release' as const, 'repeat' as const),
      pick: fc.nat(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('commit' as const), pick: fc.nat(), actual: amountArb }) },
  { weight: 1, arbitrary: fc.constant({ t: 'expire' as const }) },
);

/** An amount right at a scope's blocking boundary: available (+ soft_gate margin) + delta. */
function edgeAmount(model: LedgerModel, scope: number, delta: number, fallback: number): number {
  const spec = model.spec(scope);
  const available = model.available(scope);
  if (available === null) return fallback;
  const margin = spec.mode === 'soft_gate' ? (spec.marginMicros ?? 0) : 0;
  return Math.max(0, available + margin + delta);
}

/** Runs a ledger call; when the model predicts an error, checks it is that LedgerError and returns null. */
async function against<T, R>(prediction: Prediction<T>, call: () => Promise<R>): Promise<R | null> {
  if ('ok' in prediction) return call();
  const error = await call().then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LedgerError);
  expect(error instanceof LedgerError ? error.code : null).toBe(prediction.error);
  return null;
}

export function registerModelContract(ctx: ContractContext): void {
  describe('model-based', () => {
    it('random operation sequences keep every counter equal to the sum of its reservations', async () => {
      let runIndex = 0;
      await fc.assert(
        fc.asyncProperty(specsArb, fc.array(opArb, { minLength: 1, maxLength: 30 }), async (specs, ops) => {
          runIndex += 1;
          const tenant = `${ctx.tenant}_m${runIndex}`;
          const model = new LedgerModel(specs);
          let expireAt = ctx.now() + 1_000 * MINUTE_MS;
          let last: { readonly op: Op; readonly index: number } | null = null;

          const reserve = async (op: Extract<Op, { t: 'reserve' }>): Promise<void> => {
            const scopes = [0, 1, 2].filter((index) => (op.mask & (1 << index)) !== 0 || index === op.edge?.scope);
            const amount = op.edge === null ? op.amount : edgeAmount(model, op.edge.scope, op.edge.delta, op.amount);
            const request = reserveRequest(
              ctx,
              scopes.map((index) => model.spec(index)),
              amount,
              {
                tenant,
                idempotencyKey: op.idem,
              },
            );
            const predicted = model.reserve(request.reservationId, amount, scopes, op.idem);
            const outcome = await against(predicted, () => ctx.ledger.reserve(request));
            if (!('ok' in predicted) || outcome === null) {
              expect(await ctx.ledger.getReservation(request.reservationId)).toBeNull();
              return;
            }
            const expected = predicted.ok;
            if (expected.kind === 'blocked') {
              expect(outcome).toMatchObject({ kind: 'blocked', blocking: { type: model.spec(expected.scope).type } });
              expect(await ctx.ledger.getReservation(request.reservationId)).toBeNull();
            } else if (expected.kind === 'reused') {
              expect(outcome).toMatchObject({ kind: 'reserved', reused: true, reservation: { id: expected.id } });
            } else {
              expect(outcome).toMatchObject({
                kind: 'reserved',
                reused: false,
                reservation: { id: request.reservationId },
              });
              const warnings = outcome.kind === 'reserved' ? outcome.warnings.map((view) => view.type) : [];
              expect(warnings).toEqual(expected.warnings.map((index) => model.spec(index).type));
            }
          };

          const transition = async (op: Op, index: number): Promise<void> => {
            const target = model.reservations[index];
            if (target === undefined) return;
            const before = await ctx.ledger.getReservation(target.id);
            let predicted: Prediction<boolean>;
            let result: { readonly changed: boolean } | null;
            if (op.t === 'forward') {
              predicted = model.forward(target);
              result = await against(predicted, () => ctx.ledger.markForwarded(target.id));
            } else if (op.t === 'release') {
              predicted = model.release(target);
              result = await against(predicted, () => ctx.ledger.release(target.id));
            } else if (op.t === 'commit') {
              const actual = op.actual;
              predicted = model.commit(target, actual);
              result = await against(predicted, () =>
                ctx.ledger.commit(target.id, { actualMicros: actual, usageSource: 'provider' }),
              );
            } else {
              return;
            }
            if ('ok' in predicted) expect(result?.changed).toBe(predicted.ok);
            const after = await ctx.ledger.getReservation(target.id);
            expect(after?.state).toBe(target.state);
            // A repeat or an illegal transition changes nothing about the reservation.
            if (!('ok' in predicted) || !predicted.ok) expect(after).toEqual(before);
          };

          const checkCounters = async (): Promise<void> => {
            const views = await ctx.ledger.view(tenant, specs);
            views.forEach((view, index) => {
              expect({ scope: index, committed: view.committedMicros, reserved: view.reservedMicros }).toEqual({
                scope: index,
                committed: model.committed(index),
                reserved: model.reserved(index),
              });
              const spec = model.spec(index);
              if (spec.mode === 'hard_gate' && spec.limitMicros !== null && !model.overran(index)) {
                expect(view.committedMicros + view.reservedMicros).toBeLessThanOrEqual(spec.limitMicros);
              }
            });
          };

          for (const op of ops) {
            if (op.t === 'reserve') {
              await reserve(op);
            } else if (op.t === 'expire') {
              expireAt += 1_000 * MINUTE_MS;
              const predicted = model.expireAll();
              const expired = (await ctx.ledger.expireDue(expireAt)).filter(
                (entry) => entry.reservation.tenant === tenant,
              );
              expect(expired.map((entry) => [entry.reservation.id, entry.charged]).sort()).toEqual(predicted.sort());
            } else if (op.t === 'repeat') {
              if (last !== null) await transition(last.op, last.index);
            } else if (model.reservations.length > 0) {
              const index = op.pick % model.reservations.length;
              await transition(op, index);
              last = { op, index };
            }
            await checkCounters();
          }
        }),
        { numRuns: 60 },
      );
    });
  });
}
