// The books after the kill -9 tests (test/crash-kill-*.test.ts), read through the Store API:
// the upstream's own record of what it received and answered against every hold runcap
// wrote. Returns the violations found (empty: the books balance) and a summary of counts.
import type { Reservation, ScopeSpec, Store } from '../../src/ledger/index.js';
import { callIdOf, outputTokensOf, promptTokensOf } from './crash-load.js';
import type { RecordedRequest } from './fake-upstream.js';

export interface AuditSummary {
  readonly reservations: number;
  readonly upstreamReceived: number;
  readonly upstreamAnswered: number;
  readonly committed: number;
  readonly expiredCharged: number;
  readonly expiredUncharged: number;
  readonly reconciled: number;
  readonly released: number;
  readonly chargedMicros: number;
}

export interface AuditResult {
  readonly violations: readonly string[];
  readonly summary: AuditSummary;
}

const LIVE = new Set(['reserved', 'forwarded']);

/** What a settled reservation charged its scopes (null: nothing). */
function charged(reservation: Reservation): number | null {
  if (reservation.state === 'released') return null;
  return reservation.actualMicros;
}

/**
 * Checks, after every instance has stopped and a sweep has run:
 * - nothing is left reserved: no live hold, every scope's `reserved` is 0;
 * - each call id reached the upstream at most once, and holds at most one reservation;
 * - every call the upstream received has a hold (nothing forwarded unheld), and every call it
 *   answered is charged: committed with exactly the provider's tokens, or its hold charged by
 *   expiry (or reconciled); a committed hold is always a call the upstream answered;
 * - every scope counter equals the sum of what its reservations charged.
 */
export async function auditBooks(options: {
  readonly store: Store;
  readonly tenant: string;
  readonly reservationIds: readonly string[];
  readonly requests: readonly RecordedRequest[];
  readonly scopes: readonly ScopeSpec[];
}): Promise<AuditResult> {
  const violations: string[] = [];
  const reservations: Reservation[] = [];
  for (const id of options.reservationIds) {
    const reservation = await options.store.ledger.getReservation(id);
    if (reservation === null) violations.push(`reservation ${id} listed but not readable`);
    else reservations.push(reservation);
  }

  const byCall = new Map<string, Reservation>();
  for (const reservation of reservations) {
    if (LIVE.has(reservation.state)) violations.push(`${reservation.id} still ${reservation.state} after the sweep`);
    const key = reservation.idempotencyKey ?? '';
    const callId = key.slice(key.lastIndexOf(':') + 1);
    if (callId === '') {
      violations.push(`${reservation.id} carries no call id`);
      continue;
    }
    const other = byCall.get(callId);
    if (other) violations.push(`call ${callId} holds two reservations: ${other.id} and ${reservation.id}`);
    byCall.set(callId, reservation);
  }

  const received = new Map<string, RecordedRequest>();
  let answered = 0;
  for (const request of options.requests) {
    if (request.path !== '/v1/chat/completions') continue;
    const callId = callIdOf(request.headers);
    if (callId === null) {
      violations.push('a request reached the upstream without its call id');
      continue;
    }
    if (received.has(callId)) violations.push(`call ${callId} reached the upstream twice`);
    received.set(callId, request);
    const reservation = byCall.get(callId);
    if (reservation === undefined) {
      violations.push(`call ${callId} reached the upstream (${request.outcome}) without a hold`);
      continue;
    }
    if (request.outcome !== 'completed') continue;
    answered += 1;
    const amount = charged(reservation);
    if (amount === null || amount <= 0) {
      violations.push(`call ${callId} was answered but ${reservation.id} charged nothing (${reservation.state})`);
      continue;
    }
    if (reservation.state === 'committed') {
      const expected = { input: promptTokensOf(request.body), output: outputTokensOf(request.body) };
      const tokens = reservation.tokens;
      if (
        reservation.usageSource !== 'provider' ||
        tokens?.inputTokens !== expected.input ||
        tokens.outputTokens !== expected.output
      ) {
        violations.push(
          `call ${callId}: the upstream billed ${expected.input} in / ${expected.output} out, ${reservation.id} committed ${JSON.stringify(tokens)} (${reservation.usageSource})`,
        );
      }
    } else if (reservation.state === 'expired' && amount !== reservation.amountMicros) {
      violations.push(`${reservation.id} expired charging ${amount}, not its hold ${reservation.amountMicros}`);
    }
  }
  for (const [callId, reservation] of byCall) {
    const request = received.get(callId);
    if (reservation.state === 'committed' && request?.outcome !== 'completed')
      violations.push(`${reservation.id} committed but the upstream did not answer call ${callId}`);
  }

  const views = await options.store.ledger.view(options.tenant, options.scopes);
  for (const view of views) {
    const sum = reservations
      .filter((reservation) => reservation.scopes.some((scope) => scope.key === view.key))
      .reduce((total, reservation) => total + (charged(reservation) ?? 0), 0);
    if (view.reservedMicros !== 0) violations.push(`scope ${view.key} still reserves ${view.reservedMicros}`);
    if (view.committedMicros !== sum)
      violations.push(`scope ${view.key} counts ${view.committedMicros} committed, its reservations charged ${sum}`);
  }
  const scoped = new Set(views.map((view) => view.key));
  for (const reservation of reservations)
    for (const scope of reservation.scopes)
      if (!scoped.has(scope.key)) violations.push(`${reservation.id} holds on an unexpected scope ${scope.key}`);

  const count = (state: Reservation['state'], test: (r: Reservation) => boolean = () => true): number =>
    reservations.filter((reservation) => reservation.state === state && test(reservation)).length;
  return {
    violations,
    summary: {
      reservations: reservations.length,
      upstreamReceived: received.size,
      upstreamAnswered: answered,
      committed: count('committed'),
      expiredCharged: count('expired', (r) => (r.actualMicros ?? 0) > 0),
      expiredUncharged: count('expired', (r) => (r.actualMicros ?? 0) === 0),
      reconciled: count('reconciled'),
      released: count('released'),
      chargedMicros: reservations.reduce((total, reservation) => total + (charged(reservation) ?? 0), 0),
    },
  };
}

/** The scopes every crash-test call draws on (all without a window). */
export function crashScopes(runs: readonly string[], keyId: string, team: string): ScopeSpec[] {
  const spec = (type: ScopeSpec['type'], id: string): ScopeSpec => ({
    type,
    id,
    window: 'none',
    limitMicros: null,
    mode: 'hard_gate',
  });
  return [...runs.map((run) => spec('run', run)), spec('key', keyId), spec('team', team)];
}
