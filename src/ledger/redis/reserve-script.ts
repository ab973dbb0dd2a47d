// The reserve script's side in TypeScript (lua/reserve.lua): its arguments from a request, the
// outcome from its reply, and the holds this process made (commit.lua replies briefly to them).
// Pure but for the bounded map of holds; no I/O.
import { setBounded } from '../../bounded-map.js';
import { brakeFrom } from './brake-reply.js';
import { asArray, asInteger, asString, toFields, toReservation } from './reply.js';
import { evaluateReserve, scopeView, withHold } from '../scope-rules.js';
import type { Reservation, ReserveOutcome, ReserveRequest, ScopeSpec, ScopeView } from '../types.js';

const nullable = (value: string | null): string => (value === null ? '-' : `+${value}`);

/** Views from a script's {key, committed, reserved} rows, in spec order. */
export function viewsFrom(specs: readonly ScopeSpec[], rows: unknown, nowMs: number): ScopeView[] {
  const list = asArray(rows, 'scope counters');
  return specs.map((spec, index) => {
    const row = asArray(list[index], 'scope row');
    return scopeView(spec, asString(row[0], 'scope key'), nowMs, {
      committedMicros: asInteger(row[1], 'committed'),
      reservedMicros: asInteger(row[2], 'reserved'),
    });
  });
}

/** Live holds this process made, by id (bounded; taken when they settle here). */
const HOLDS_LIMIT = 20_000;

export function createHolds(): { put(reservation: Reservation): void; take(id: string): Reservation | undefined } {
  const holds = new Map<string, Reservation>();
  return {
    put(reservation) {
      setBounded(holds, reservation.id, reservation, HOLDS_LIMIT);
    },
    take(id) {
      const reservation = holds.get(id);
      holds.delete(id);
      return reservation;
    },
  };
}

export function reserveArgs(request: ReserveRequest, base: string, now: string, retentionMs: number): string[] {
  const { attribution } = request;
  const args = [
    base,
    now,
    request.reservationId,
    request.tenant,
    request.decisionId,
    String(request.amountMicros),
    String(request.ttlMs),
    request.idempotencyKey ?? '',
    request.idempotencyKey == null ? '0' : '1',
    request.model,
    request.priceTableVersion,
    nullable(attribution.runId),
    attribution.keyId,
    nullable(attribution.userId),
    nullable(attribution.teamId),
    nullable(attribution.feature),
    attribution.endpoint,
    String(retentionMs),
    request.forwarded === true ? 'forwarded' : 'reserved',
    String(request.scopes.length),
  ];
  for (const spec of request.scopes) {
    const limit = spec.limitMicros === null ? '-' : String(spec.limitMicros);
    args.push(spec.type, spec.id, spec.window, limit, spec.mode, String(spec.marginMicros ?? 0));
  }
  const { velocity, loop } = request.brakes ?? {};
  const { runCheck } = request;
  // No brakes and no run check: the script reads the missing tail as none (fewer arguments to send).
  if (velocity === undefined && loop === undefined && runCheck === undefined) return args;
  args.push(
    velocity === undefined ? '-' : String(velocity.limitMicros),
    loop?.runId ?? '',
    loop?.stepHash ?? '',
    String(loop?.maxRepeats ?? 0),
    runCheck?.runId ?? '',
    runCheck?.keyId ?? '',
  );
  return args;
}

/** The outcome of a reserve from the script's reply (the new hold is built from the request). */
export function shapeReserve(request: ReserveRequest, reply: readonly unknown[]): ReserveOutcome {
  const status = reply[0];
  const nowMs = asInteger(reply[1], 'now');
  const before = viewsFrom(request.scopes, reply[3], nowMs);
  if (status === 'braked') return { kind: 'braked', brake: brakeFrom(request, reply[4], nowMs), scopes: before };
  if (status === 'blocked') {
    const { blocking } = evaluateReserve(request.scopes, before, request.amountMicros);
    if (blocking === null) throw new Error('redis ledger: the reserve script blocked but no scope fails');
    return { kind: 'blocked', blocking, scopes: before };
  }
  if (status === 'reused') {
    const reservation = toReservation(toFields(reply[2], 'reservation'));
    const { warnings } = evaluateReserve(request.scopes, before, reservation.amountMicros);
    return { kind: 'reserved', reservation, scopes: before, warnings, reused: true };
  }
  const { verdicts, blocking, warnings } = evaluateReserve(request.scopes, before, request.amountMicros);
  if (blocking !== null)
    throw new Error(`redis ledger: the reserve script admitted a hold that ${blocking.key} blocks`);
  // The new hold is what the request asked for at the script's "now" (it returns no copy of it).
  const reservation: Reservation = {
    id: request.reservationId,
    decisionId: request.decisionId,
    tenant: request.tenant,
    scopes: request.scopes.map((spec, position) => ({
      key: before[position]?.key ?? '',
      type: spec.type,
      id: spec.id,
      held: verdicts[position]?.holds === true,
    })),
    amountMicros: request.amountMicros,
    state: request.forwarded === true ? 'forwarded' : 'reserved',
    model: request.model,
    priceTableVersion: request.priceTableVersion,
    idempotencyKey: request.idempotencyKey ?? null,
    attribution: {
      runId: request.attribution.runId,
      keyId: request.attribution.keyId,
      userId: request.attribution.userId,
      teamId: request.attribution.teamId,
      feature: request.attribution.feature,
      endpoint: request.attribution.endpoint,
    },
    createdAtMs: nowMs,
    expiresAtMs: nowMs + request.ttlMs,
    settledAtMs: null,
    actualMicros: null,
    overrunMicros: 0,
    usageSource: null,
    tokens: null,
  };
  const after = before.map((view, position) =>
    verdicts[position]?.holds === true ? withHold(view, request.amountMicros) : view,
  );
  return { kind: 'reserved', reservation, scopes: after, warnings, reused: false };
}
