// The Ledger seam (docs/design.md §3): scopes, reservations and their state machine, runs,
// decision records and attribution. Backends (sqlite/, redis/) implement it and
// pass one contract suite. Knows nothing of HTTP.
import type { Micros } from '../money/micros.js';

export type ScopeType = 'run' | 'key' | 'user' | 'team' | 'feature';
export type ScopeWindow = 'none' | '1h' | '1d' | '7d' | '30d' | 'month';
export type EnforcementMode = 'advisory_estimate' | 'soft_gate' | 'hard_gate' | 'actuals_only';

/** A scope as the caller names it; the ledger resolves the window bucket from its own clock. */
export interface ScopeSpec {
  readonly type: ScopeType;
  readonly id: string;
  readonly window: ScopeWindow;
  /** null: no ceiling (attribution only). */
  readonly limitMicros: Micros | null;
  readonly mode: EnforcementMode;
  /** soft_gate only: how far above the available amount the estimate may go. */
  readonly marginMicros?: Micros;
}

export interface ScopeView {
  /** Canonical key of the scope in its current window bucket (windows.ts scopeKey), e.g. "key|1d|2026-11-29|k_alice". */
  readonly key: string;
  readonly type: ScopeType;
  readonly id: string;
  readonly window: ScopeWindow;
  /** Start of the window bucket in epoch ms; null for window "none". */
  readonly windowStartMs: number | null;
  readonly mode: EnforcementMode;
  readonly limitMicros: Micros | null;
  readonly committedMicros: Micros;
  readonly reservedMicros: Micros;
  /** limit - committed - reserved (may be negative after an overrun); null without a limit. */
  readonly availableMicros: Micros | null;
}

export type ReservationState = 'reserved' | 'forwarded' | 'committed' | 'released' | 'expired' | 'reconciled';
export type UsageSource = 'provider' | 'estimated' | 'expired' | 'caller';

export interface Attribution {
  readonly runId: string | null;
  readonly keyId: string;
  readonly userId: string | null;
  readonly teamId: string | null;
  readonly feature: string | null;
  readonly endpoint: string;
}

export interface TokenTotals {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly reasoningTokens: number;
}

export interface ReservedScope {
  readonly key: string;
  readonly type: ScopeType;
  readonly id: string;
  /** Whether this scope's `reserved` counter carries the hold (false for advisory/actuals-only scopes). */
  readonly held: boolean;
}

export interface Reservation {
  readonly id: string;
  readonly decisionId: string;
  readonly tenant: string;
  readonly scopes: readonly ReservedScope[];
  readonly amountMicros: Micros;
  readonly state: ReservationState;
  readonly model: string;
  readonly priceTableVersion: string;
  readonly idempotencyKey: string | null;
  readonly attribution: Attribution;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly settledAtMs: number | null;
  /** What was finally charged (committed or expired); null while live or after a release. */
  readonly actualMicros: Micros | null;
  readonly overrunMicros: Micros;
  readonly usageSource: UsageSource | null;
  readonly tokens: TokenTotals | null;
}

export interface ReserveRequest {
  readonly reservationId: string;
  readonly decisionId: string;
  readonly tenant: string;
  readonly scopes: readonly ScopeSpec[];
  readonly amountMicros: Micros;
  readonly ttlMs: number;
  readonly idempotencyKey?: string | null;
  readonly model: string;
  readonly priceTableVersion: string;
  readonly attribution: Attribution;
  /**
   * The caller sends the call as soon as this returns: the reservation starts in
   * `forwarded` (reserve and markForwarded in one atomic step, one round trip fewer).
   */
  readonly forwarded?: boolean;
  /** Runaway brakes (docs/design.md §12), checked in the same atomic step; absent = none. */
  readonly brakes?: RunBrakes;
  /**
   * The caller did not open the run for this call (it knows the run from an earlier one): in the
   * same atomic step the reserve checks that the run is still `keyId`'s, open and not idle, and
   * that every run scope (the run and its ancestors) is open with the `limitMicros` it carries
   * stored as its ceiling, and touches the run's activity as opening it would. When any of that
   * fails nothing is written and it throws LedgerError('run_changed'): open the run and retry.
   * Only for a ledger with `checksRuns`.
   */
  readonly runCheck?: RunCheck;
}

export interface RunCheck {
  readonly runId: string;
  readonly keyId: string;
}

/**
 * Spend velocity: each run scope of the request (the call's run and its ancestors) may take at
 * most `limitMicros` over the trailing window (brake-rules.ts), counted as its committed +
 * reserved spend attributed to the second each reservation was made.
 */
export interface VelocityBrake {
  readonly limitMicros: Micros;
}

/** Loop brake: the call's newest step, hashed; more than `maxRepeats` repeats in a row of one run stop it. */
export interface LoopBrake {
  /** The run whose step this is (its run scope must be among the request's scopes). */
  readonly runId: string;
  readonly stepHash: string;
  readonly maxRepeats: number;
}

export interface RunBrakes {
  readonly velocity?: VelocityBrake;
  readonly loop?: LoopBrake;
}

/** Why a brake stopped a reserve. */
export type BrakeVerdict =
  | {
      readonly kind: 'velocity';
      /** The run (the call's own or an ancestor) whose window is full. */
      readonly runId: string;
      readonly limitMicros: Micros;
      /** That run's committed + reserved spend in the trailing window, before this hold. */
      readonly spentMicros: Micros;
      /** How long until the hold would fit if nothing else changes; null: it never can (above the limit). */
      readonly retryAfterMs: number | null;
    }
  | {
      readonly kind: 'loop';
      readonly runId: string;
      /** The repeats in a row this call would make. */
      readonly repeats: number;
      readonly maxRepeats: number;
    };

export type ReserveOutcome =
  | {
      readonly kind: 'reserved';
      readonly reservation: Reservation;
      /** Every scope after the hold. */
      readonly scopes: readonly ScopeView[];
      /** Advisory scopes whose available amount the estimate exceeds (decision advisory_warn). */
      readonly warnings: readonly ScopeView[];
      /** True when an Idempotency-Key matched a live reservation that is returned instead. */
      readonly reused: boolean;
    }
  | {
      readonly kind: 'blocked';
      /** The tightest failing scope (smallest available). */
      readonly blocking: ScopeView;
      readonly scopes: readonly ScopeView[];
    }
  | {
      /** A runaway brake refused the hold; nothing was written. */
      readonly kind: 'braked';
      readonly brake: BrakeVerdict;
      readonly scopes: readonly ScopeView[];
    };

export interface CommitRequest {
  readonly actualMicros: Micros;
  readonly usageSource: UsageSource;
  readonly tokens?: TokenTotals | null;
}

export interface SettleResult {
  readonly reservation: Reservation;
  /** False when the transition had already happened (idempotent repeat). */
  readonly changed: boolean;
}

export interface ExpiredReservation {
  readonly reservation: Reservation;
  /** True when the hold was charged in full (it had been forwarded). */
  readonly charged: boolean;
}

export type LedgerErrorCode =
  | 'reservation_not_found'
  | 'invalid_transition'
  | 'invalid_amount'
  | 'invalid_scope'
  | 'ledger_unavailable'
  /** A reserve's run check failed (ReserveRequest.runCheck): the run must be opened again. */
  | 'run_changed';

export class LedgerError extends Error {
  override readonly name = 'LedgerError';
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Ledger {
  readonly backend: 'sqlite' | 'redis';
  /** reserve() honours ReserveRequest.runCheck, so a caller may skip opening a run it knows. */
  readonly checksRuns?: boolean;
  /** Atomic across all scopes: every enforceable scope fits, or nothing is written. */
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  /** reserved -> forwarded; optionally pushes expiry out (a stream still flowing). */
  markForwarded(reservationId: string, extendTtlMs?: number): Promise<SettleResult>;
  /** Pushes a live reservation's expiry to now + ttlMs (never shortens it). */
  extend(reservationId: string, ttlMs: number): Promise<SettleResult>;
  /** reserved|forwarded -> committed; expired(charged) -> reconciled with the late actual. */
  commit(reservationId: string, request: CommitRequest): Promise<SettleResult>;
  /** reserved|forwarded -> released. */
  release(reservationId: string): Promise<SettleResult>;
  /** Expires live reservations whose expiry (plus skew tolerance) has passed. Exactly once each. */
  expireDue(nowMs?: number): Promise<readonly ExpiredReservation[]>;
  getReservation(reservationId: string): Promise<Reservation | null>;
  view(tenant: string, scopes: readonly ScopeSpec[]): Promise<readonly ScopeView[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
