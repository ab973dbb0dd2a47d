// Shared helpers of the ledger contract suite: the per-test context (store, clock,
// unique tenant and ids) and builders for scopes and reserve requests. Backend-agnostic.
import { expect } from 'vitest';
import { LedgerError } from '../../src/ledger/index.js';
import type {
  EnforcementMode,
  ExpiredReservation,
  Ledger,
  LedgerErrorCode,
  Reservation,
  ReserveOutcome,
  ReserveRequest,
  ScopeSpec,
  ScopeType,
  ScopeView,
  ScopeWindow,
  Store,
} from '../../src/ledger/index.js';
import type { RaceSpawner } from './ledger-race.js';

/** What a backend's factory hands the suite for one test. */
export interface LedgerHarness {
  readonly store: Store;
  /** Sets the store's clock (epoch ms). Absent: the backend uses real time; clock-driven tests skip. */
  readonly setClock?: (ms: number) => void;
  /** Runs jobs against the same store from several OS processes (multi-process race tests). */
  readonly raceWorkers?: RaceSpawner;
  readonly cleanup: () => Promise<void>;
}

export type LedgerFactory = () => Promise<LedgerHarness>;

/** Contract stores alert on tenants named `alerts-*` at 50%, 80% and 100% of a run's ceiling. */
export const CONTRACT_ALERT_THRESHOLDS = (tenant: string): readonly number[] =>
  tenant.startsWith('alerts-') ? [5000, 8000, 10000] : [];

/** 2026-11-29T13:30:00Z: where the fake clock starts in every test that has one. */
export const START_MS = Date.UTC(2026, 10, 29, 13, 30, 0);
export const MINUTE_MS = 60_000;

export interface ContractContext {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly hasClock: boolean;
  readonly raceWorkers: RaceSpawner | undefined;
  /** A tenant unique to this test, so backends shared between tests stay independent. */
  readonly tenant: string;
  /** The store's current time: the fake clock when there is one, else Date.now(). */
  now(): number;
  /** Moves the fake clock forward; only valid when hasClock. */
  advance(ms: number): void;
  /** A fresh unique id with the given prefix. */
  id(prefix: string): string;
}

let sequence = 0;
export function uniqueId(prefix: string): string {
  sequence += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${sequence}_${Math.random().toString(36).slice(2, 8)}`;
}

export function scope(
  type: ScopeType,
  id: string,
  limitMicros: number | null,
  mode: EnforcementMode = 'hard_gate',
  window: ScopeWindow = 'none',
  marginMicros?: number,
): ScopeSpec {
  return marginMicros === undefined
    ? { type, id, window, limitMicros, mode }
    : { type, id, window, limitMicros, mode, marginMicros };
}

export function reserveRequest(
  ctx: ContractContext,
  scopes: readonly ScopeSpec[],
  amountMicros: number,
  extra: Partial<ReserveRequest> = {},
): ReserveRequest {
  const runScope = scopes.find((candidate) => candidate.type === 'run');
  return {
    reservationId: ctx.id('rsv'),
    decisionId: ctx.id('bdgdec'),
    tenant: ctx.tenant,
    scopes,
    amountMicros,
    ttlMs: 10 * MINUTE_MS,
    idempotencyKey: null,
    model: 'gpt-4o-mini',
    priceTableVersion: '2026-11-01',
    attribution: {
      runId: runScope?.id ?? null,
      keyId: 'k_contract',
      userId: null,
      teamId: null,
      feature: null,
      endpoint: '/v1/chat/completions',
    },
    ...extra,
  };
}

/** One line saying what a reserve did, for failure messages. */
export function describeOutcome(outcome: ReserveOutcome): string {
  switch (outcome.kind) {
    case 'reserved':
      return `reservation ${outcome.reservation.id}`;
    case 'blocked':
      return `blocked by ${outcome.blocking.key}`;
    case 'braked':
      return `braked: ${JSON.stringify(outcome.brake)}`;
  }
}

export function expectReserved(outcome: ReserveOutcome): Extract<ReserveOutcome, { kind: 'reserved' }> {
  if (outcome.kind !== 'reserved') throw new Error(`expected a reservation, got ${describeOutcome(outcome)}`);
  return outcome;
}

export function expectBlocked(outcome: ReserveOutcome): Extract<ReserveOutcome, { kind: 'blocked' }> {
  if (outcome.kind !== 'blocked') throw new Error(`expected a block, got ${describeOutcome(outcome)}`);
  return outcome;
}

export function expectBraked(outcome: ReserveOutcome): Extract<ReserveOutcome, { kind: 'braked' }> {
  if (outcome.kind !== 'braked') throw new Error(`expected a brake, got ${describeOutcome(outcome)}`);
  return outcome;
}

export async function reserveOk(
  ctx: ContractContext,
  scopes: readonly ScopeSpec[],
  amountMicros: number,
  extra: Partial<ReserveRequest> = {},
): Promise<Reservation> {
  return expectReserved(await ctx.ledger.reserve(reserveRequest(ctx, scopes, amountMicros, extra))).reservation;
}

export async function expectLedgerError(promise: Promise<unknown>, code: LedgerErrorCode): Promise<LedgerError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof LedgerError)) {
    throw new Error(`expected LedgerError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  }
  expect(caught.code).toBe(code);
  return caught;
}

export interface Counters {
  readonly committed: number;
  readonly reserved: number;
}

export async function counters(ctx: ContractContext, specs: readonly ScopeSpec[]): Promise<Counters[]> {
  const views = await ctx.ledger.view(ctx.tenant, specs);
  return views.map((view: ScopeView) => ({ committed: view.committedMicros, reserved: view.reservedMicros }));
}

/** expireDue, keeping only this test's tenant (a backend may be shared between tests). */
export async function expireOwn(ctx: ContractContext, nowMs?: number): Promise<ExpiredReservation[]> {
  const expired = await ctx.ledger.expireDue(nowMs);
  return expired.filter((entry) => entry.reservation.tenant === ctx.tenant);
}
