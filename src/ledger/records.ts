// Runs, decision records and attribution queries: the bookkeeping that sits beside
// the money ledger in the same backend. Types (and the spend grouping names); knows nothing of HTTP.
import type { Micros } from '../money/micros.js';
import type { Ledger } from './types.js';

export type RunState = 'open' | 'closed';

/** A sub-agent run has at most this many ancestors (docs/design.md §2): a reserve covers at most 5 run scopes. */
export const MAX_RUN_DEPTH = 4;

export interface RunRecord {
  readonly tenant: string;
  readonly runId: string;
  /** The principal that created the run; only it (or the admin) may use it. */
  readonly keyId: string;
  readonly limitMicros: Micros;
  readonly state: RunState;
  readonly tags: Readonly<Record<string, string>>;
  readonly idleTtlMs: number;
  readonly createdAtMs: number;
  readonly lastActivityAtMs: number;
  readonly closedAtMs: number | null;
  /** The run this one is a sub-agent of (docs/design.md §2); null for a root run. */
  readonly parentRunId: string | null;
  /** Ancestors above it: 0 for a root run, at most MAX_RUN_DEPTH. */
  readonly depth: number;
}

/** An ancestor of a run as a reserve needs it: its ceiling is one more scope of every call. */
export interface AncestorRun {
  readonly runId: string;
  readonly limitMicros: Micros;
  readonly state: RunState;
}

/** One change of a run's ceiling (PATCH /budget/runs/{id}). */
export interface RunLimitChange {
  readonly atMs: number;
  /** The key id that changed it, or "admin". */
  readonly changedBy: string;
  readonly fromMicros: Micros;
  readonly toMicros: Micros;
}

export type SetRunLimitOutcome =
  | { readonly kind: 'changed'; readonly run: RunRecord; readonly change: RunLimitChange }
  | { readonly kind: 'closed'; readonly run: RunRecord }
  | { readonly kind: 'not_found' };

export interface OpenRunRequest {
  readonly tenant: string;
  readonly runId: string;
  readonly keyId: string;
  /** Used only when the run is created; an existing run keeps its ceiling. */
  readonly limitMicros: Micros;
  readonly idleTtlMs: number;
  readonly maxActivePerKey: number;
  readonly tags?: Readonly<Record<string, string>>;
  /** true: fail with `exists` when the run is already there (POST /budget/runs). */
  readonly createOnly?: boolean;
  /**
   * The parent a new run is created under (same tenant and key; at most MAX_RUN_DEPTH deep). For
   * an existing run it must name the parent it already has.
   */
  readonly parentRunId?: string | null;
  /** A new child's ceiling is min(limitMicros, the parent's remaining budget at creation). */
  readonly inheritLimit?: boolean;
}

/** A run a call may use (created now, or found), with its ancestors. */
export interface OpenedRun<K extends 'created' | 'existing'> {
  readonly kind: K;
  readonly run: RunRecord;
  /** Parent first, then its parent, up to the root (empty for a root run). */
  readonly ancestors: readonly AncestorRun[];
}

export type OpenRunOutcome =
  | OpenedRun<'created'>
  | OpenedRun<'existing'>
  | { readonly kind: 'exists'; readonly run: RunRecord }
  | { readonly kind: 'principal_mismatch' }
  | { readonly kind: 'too_many_active'; readonly active: number }
  /** The named parent: missing, another principal's, closed, or too deep for one more level. */
  | { readonly kind: 'parent_not_found' | 'parent_principal_mismatch' | 'parent_closed' | 'too_deep' }
  /** The run exists with another parent (or none), or the named parent descends from it. */
  | { readonly kind: 'parent_conflict' | 'cycle'; readonly currentParentRunId: string | null };

/** Where a page of runs starts: just after this run in the listing order (RunStore.list). */
export interface RunListPosition {
  readonly lastActivityAtMs: number;
  readonly runId: string;
}

export interface RunListQuery {
  readonly tenant: string;
  /** null: every key of the tenant. */
  readonly keyId: string | null;
  /** null: open and closed runs. */
  readonly state: RunState | null;
  readonly limit: number;
  readonly after?: RunListPosition | null;
}

export interface RunStore {
  /**
   * Atomically: binds a new run to its principal (checking the active-run cap), or
   * returns the existing one and refreshes its activity. A run is active while
   * open and used within its idle TTL.
   */
  open(request: OpenRunRequest): Promise<OpenRunOutcome>;
  get(tenant: string, runId: string): Promise<RunRecord | null>;
  close(tenant: string, runId: string): Promise<RunRecord | null>;
  /**
   * Runs of a tenant (optionally of one key, of one state), newest activity first (last activity
   * descending, then run id descending), strictly after `after` in that order when given.
   */
  list(query: RunListQuery): Promise<readonly RunRecord[]>;
  countActive(tenant: string, keyId: string): Promise<number>;
  /** The runs created with `parentRunId` as their parent, oldest first. */
  children(tenant: string, parentRunId: string): Promise<readonly RunRecord[]>;
  /** Sets a run's ceiling and records the change (who, when, from, to); a closed run is left alone. */
  setLimit(tenant: string, runId: string, limitMicros: Micros, changedBy: string): Promise<SetRunLimitOutcome>;
  /** Every change of a run's ceiling, oldest first. */
  limitHistory(tenant: string, runId: string): Promise<readonly RunLimitChange[]>;
  /**
   * Active runs across all tenants, for the runcap_active_runs gauge. Optional: a backend
   * without a cheap count omits it and the gauge is not exported.
   */
  countActiveAll?(): Promise<number>;
}

/** A decision record (docs/design.md §5) is stored as an opaque JSON document with a few indexed fields. */
export interface StoredDecision {
  readonly id: string;
  readonly tenant: string;
  readonly keyId: string;
  /** The run the decision was made in (indexed for GET /budget/runs/{id}/calls); null or absent: none. */
  readonly runId?: string | null;
  readonly createdAtMs: number;
  readonly record: Readonly<Record<string, unknown>>;
}

export interface DecisionStore {
  put(decision: StoredDecision): Promise<void>;
  get(id: string): Promise<StoredDecision | null>;
  /** Shallow-merges `patch` into the stored record (settlement: actual cost, usage source, overrun). */
  patch(id: string, patch: Readonly<Record<string, unknown>>): Promise<void>;
  /** Deletes records created before `beforeMs`; returns how many. */
  prune(beforeMs: number): Promise<number>;
  /**
   * The decisions of one run, oldest first (creation time, then id), strictly after `after` in
   * that order when given; at most `limit`.
   */
  listByRun(query: RunDecisionsQuery): Promise<readonly StoredDecision[]>;
}

/** Where a page of a run's decisions starts: just after this decision (DecisionStore.listByRun). */
export interface DecisionPosition {
  readonly createdAtMs: number;
  readonly id: string;
}

export interface RunDecisionsQuery {
  readonly tenant: string;
  readonly runId: string;
  readonly limit: number;
  readonly after?: DecisionPosition | null;
}

export type SpendGroupBy = 'run' | 'key' | 'user' | 'team' | 'feature' | 'model';

/** The reservation attribute each grouping reads (the same name in SQLite columns and Redis fields). */
export const SPEND_GROUP_FIELD = {
  run: 'run_id',
  key: 'key_id',
  user: 'user_id',
  team: 'team_id',
  feature: 'feature',
  model: 'model',
} as const satisfies Record<SpendGroupBy, string>;

export interface SpendQuery {
  /** null: all tenants (admin). */
  readonly tenant: string | null;
  /** Restrict to one principal's spend (non-admin callers). */
  readonly keyId: string | null;
  /** Restrict to one run's spend (GET /budget/runs/{id}); absent or null: every run. */
  readonly runId?: string | null;
  readonly groupBy: SpendGroupBy;
  readonly fromMs: number;
  readonly toMs: number;
}

export interface SpendRow {
  /** The group's value; null when the attribute was not set (e.g. no feature tag). */
  readonly group: string | null;
  readonly costMicros: Micros;
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly reasoningTokens: number;
}

export interface SpendStore {
  /** Committed spend (committed, expired-charged and reconciled reservations) settled in [from, to). */
  spend(query: SpendQuery): Promise<readonly SpendRow[]>;
}

/** What the provider billed for one Responses API response (its whole chain's input, and its output). */
export interface ChainTokens {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/**
 * Responses API chains (docs/design.md §8): a follow-up turn naming `previous_response_id` is billed
 * for the whole chain's input, so the estimate adds what that response was billed. Shared
 * by every instance on the backend; kept for the retention window.
 */
export interface ChainStore {
  remember(tenant: string, responseId: string, tokens: ChainTokens): Promise<void>;
  lookup(tenant: string, responseId: string): Promise<ChainTokens | null>;
  /** What a conversation holds, as learned from its responses; null when none was billed through runcap. */
  conversationTokens(tenant: string, conversationId: string): Promise<number | null>;
  /**
   * Atomically records a response of a conversation: it now holds at least what that response was
   * billed (input, which included the conversation, plus output), plus whatever other responses
   * added since its hold was planned (stored - seenTokens). Never lowers the stored value.
   */
  growConversation(tenant: string, conversationId: string, growth: ConversationGrowth): Promise<void>;
  /** Forgets a conversation (a turn ended without usage: what it added is unknown). */
  forgetConversation(tenant: string, conversationId: string): Promise<void>;
}

export interface ConversationGrowth {
  /** Input + output tokens the provider billed for the response. */
  readonly billedTokens: number;
  /** What runcap knew the conversation held when it planned the response (0 when unknown). */
  readonly seenTokens: number;
}

/** How many rows one retention pass deleted, by kind. */
export interface PruneCounts {
  readonly runs: number;
  readonly reservations: number;
  readonly scopes: number;
}

/**
 * Retention (docs/ledger.md "Retention"): what the ledger keeps only for the retention window.
 * `prune(beforeMs)` deletes, at most `limit` rows of each kind per call: reservations settled
 * before `beforeMs` (with their scope links), runs unused since before `beforeMs` that hold
 * nothing live (with their run scope), window buckets whose window ended before `beforeMs`,
 * and attribution-only scopes (no ceiling, no window) unused since then. Live holds and the
 * lifetime ceilings of keys, users and teams are never pruned. A pruned run id is free again.
 */
export interface RetentionStore {
  prune(beforeMs: number, limit: number): Promise<PruneCounts>;
}

/**
 * Threshold alerts (docs/design.md §12): a fraction of a run's ceiling, in basis points (8000 =
 * 0.8). The ledger checks them in the same transaction (script) as each commit or charged expiry.
 */
export type AlertThresholds = (tenant: string) => readonly number[];

/** One threshold crossing waiting in the outbox (or being delivered). */
export interface PendingAlert {
  /** Unique within its tenant; what delivered / retryLater / drop name (with the tenant). */
  readonly id: string;
  readonly tenant: string;
  readonly runId: string;
  readonly keyId: string;
  readonly thresholdBp: number;
  readonly limitMicros: Micros;
  readonly committedMicros: Micros;
  readonly crossedAtMs: number;
  /** Failed attempts so far. */
  readonly attempts: number;
}

/**
 * The outbox of threshold alerts, written by the ledger's commits; the deliverer drains it. A
 * claim leases the alerts it returns (their next attempt moves `leaseMs` ahead), so two
 * deliverers never post the same alert at once; one that dies mid-delivery loses only the lease.
 */
export interface AlertStore {
  /**
   * `tenants`: where to look (the tenants with alerts configured); absent: every tenant. A
   * backend that keeps one outbox for all tenants may read it whole either way.
   */
  claimDue(leaseMs: number, limit: number, tenants?: readonly string[]): Promise<readonly PendingAlert[]>;
  delivered(alert: PendingAlert): Promise<void>;
  /** One more failed attempt; the next one `delayMs` from now. */
  retryLater(alert: PendingAlert, delayMs: number, error: string): Promise<void>;
  /** Gives up on an alert (kept as dropped, so the threshold does not fire again). */
  drop(alert: PendingAlert, reason: string): Promise<void>;
  /** Alerts not yet delivered nor dropped (the outbox depth), of `tenants` where the backend counts per tenant. */
  pending(tenants?: readonly string[]): Promise<number>;
}

/** A backend: the money ledger plus its bookkeeping, opened and closed together. */
export interface Store {
  readonly ledger: Ledger;
  readonly runs: RunStore;
  readonly retention: RetentionStore;
  readonly decisions: DecisionStore;
  readonly spend: SpendStore;
  readonly chains: ChainStore;
  readonly alerts: AlertStore;
  close(): Promise<void>;
}
