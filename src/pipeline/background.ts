// Background responses (Responses API `background: true`; docs/background.md): the provider
// keeps generating after the client leaves, so a hold is never released or cut down for such
// a response until runcap learns how it ended. A tracked task polls
// GET {upstream}/responses/{id} with the provider key the call used (held in memory only),
// extends the hold while the response runs, and settles it once: the provider's usage, or the
// full hold when the outcome cannot be learned (untrackable, gone, too long, shutdown). A crash
// loses the task: the hold then expires and is charged in full. Knows nothing of HTTP routes.
import type { Logger } from 'pino';
import type { Config, UpstreamConfig } from '../config/types.js';
import type { Ledger } from '../ledger/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Usage } from '../pricing/types.js';
import type { Principal } from '../principal.js';
import type { HostedCallCounts } from '../proxy/adapter.js';
import { upstreamHeaders, type UpstreamClient } from '../proxy/upstream.js';
import type { TaskTracker } from './tasks.js';

/** Statuses after which a response generates (and bills) nothing more. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'incomplete', 'failed', 'cancelled']);
/** A final poll at shutdown waits at most this long for the provider. */
const FINAL_POLL_TIMEOUT_MS = 5_000;

/** How a tracked response is settled: a subset of settle-call.ts SettleOutcome. */
export type BackgroundOutcome =
  | {
      readonly kind: 'usage';
      readonly usage: Usage;
      readonly responseId: string;
      /** The hosted tool calls the finished response shows (each one invoiced besides the tokens). */
      readonly hostedCalls: HostedCallCounts;
    }
  | { readonly kind: 'full_hold'; readonly reason: string };

export interface BackgroundJob {
  readonly responseId: string;
  readonly reservationId: string;
  readonly decisionId: string;
  readonly upstream: UpstreamConfig;
  /** Whose key polls the provider: the one the call used. Never stored. */
  readonly principal: Principal;
  readonly settle: (outcome: BackgroundOutcome) => Promise<void>;
}

export interface BackgroundDeps {
  readonly config: Pick<Config, 'background' | 'reservationTtlMs'>;
  readonly ledger: Pick<Ledger, 'extend'>;
  readonly upstream: UpstreamClient;
  readonly usageFromJson: (body: unknown) => Usage | null;
  readonly hostedCallsFromJson: (body: unknown) => HostedCallCounts;
  readonly metrics: Pick<Metrics, 'backgroundTracked'>;
  readonly logger: Logger;
  readonly tasks: TaskTracker;
}

/** Polls are scheduled on the monotonic clock (the ledger's clock may be a test's fake one). */
const monotonicMs = (): number => performance.now();

export interface BackgroundTracker {
  /**
   * Takes over the settlement of a response the provider is still generating. Returns false
   * when it cannot (at max_tracked, or shutting down): the caller then charges the full hold.
   */
  track(job: BackgroundJob): boolean;
  /** Whether the response is tracked right now. */
  has(responseId: string): boolean;
  /** A response object a client fetched itself: settles a tracked one now if it has ended. */
  observe(responseId: string, body: unknown): void;
  /** Stops polling: each tracked response is polled once more, then settled (full hold if still running). */
  stop(): void;
  readonly size: number;
}

type Verdict = { readonly done: false } | { readonly done: true; readonly outcome: BackgroundOutcome };
const RUNNING: Verdict = { done: false };

/** One tracked response: what a client's own fetch showed, and how to wake its task early. */
interface Tracked {
  observed: unknown;
  wake: (() => void) | null;
}

export function createBackgroundTracker(deps: BackgroundDeps): BackgroundTracker {
  const { background } = deps.config;
  const tracked = new Map<string, Tracked>();
  let stopping = false;

  /** What a response object says about the call's outcome. */
  const verdictOf = (body: unknown, responseId: string): Verdict => {
    const status = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['status'] : undefined;
    if (typeof status !== 'string' || !TERMINAL_STATUSES.has(status)) return RUNNING;
    const usage = deps.usageFromJson(body);
    if (usage) {
      return { done: true, outcome: { kind: 'usage', usage, responseId, hostedCalls: deps.hostedCallsFromJson(body) } };
    }
    // Ended without reporting usage (cancelled, failed): what it billed is unknown; the full hold bounds it.
    return { done: true, outcome: { kind: 'full_hold', reason: `background_${status}_without_usage` } };
  };

  const poll = async (job: BackgroundJob, headersTimeoutMs: number): Promise<Verdict> => {
    const response = await deps.upstream.send({
      url: `${job.upstream.baseUrl}/responses/${encodeURIComponent(job.responseId)}`,
      method: 'GET',
      headers: upstreamHeaders(new Headers({ accept: 'application/json' }), job.principal),
      body: null,
      signal: AbortSignal.timeout(headersTimeoutMs + job.upstream.bodyTimeoutMs),
      headersTimeoutMs,
      bodyTimeoutMs: job.upstream.bodyTimeoutMs,
    });
    const text = await response.body.text();
    if (response.statusCode === 404 || response.statusCode === 401 || response.statusCode === 403) {
      // Deleted, or the key lost access: the outcome can no longer be learned.
      return { done: true, outcome: { kind: 'full_hold', reason: `background_poll_${response.statusCode}` } };
    }
    if (response.statusCode !== 200) return RUNNING; // 429, 5xx: ask again later
    return verdictOf(JSON.parse(text) as unknown, job.responseId);
  };

  const sleep = (state: Tracked, ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        state.wake = null;
        resolve();
      }
      state.wake = done;
      if (stopping || state.observed !== undefined) done();
    });

  async function follow(job: BackgroundJob, state: Tracked): Promise<BackgroundOutcome> {
    const startedMs = monotonicMs();
    const extendEveryMs = Math.max(1_000, Math.floor(deps.config.reservationTtlMs / 4));
    let lastExtendMs = startedMs;
    let delayMs = background.pollIntervalMs;
    let nextPollMs = startedMs + delayMs;
    for (;;) {
      await sleep(state, Math.min(nextPollMs, lastExtendMs + extendEveryMs) - monotonicMs());
      const nowMs = monotonicMs();
      if (state.observed !== undefined) {
        const seen = verdictOf(state.observed, job.responseId);
        state.observed = undefined;
        if (seen.done) return seen.outcome;
      }
      if (nowMs - lastExtendMs >= extendEveryMs) {
        lastExtendMs = nowMs;
        // Keeps the sweeper off a hold whose response is still running (a failure is not fatal:
        // an expired hold is charged in full, and the late actual reconciles it).
        await deps.ledger.extend(job.reservationId, deps.config.reservationTtlMs).catch((error: unknown) => {
          deps.logger.warn({ reservation_id: job.reservationId, err: error }, 'could not extend a background hold');
        });
      }
      const final = stopping || nowMs - startedMs >= background.maxDurationMs;
      if (final || nowMs >= nextPollMs) {
        const verdict = await poll(job, final ? FINAL_POLL_TIMEOUT_MS : job.upstream.headersTimeoutMs).catch(
          (error: unknown) => {
            deps.logger.warn({ response_id: job.responseId, err: error }, 'background poll failed; will retry');
            return RUNNING;
          },
        );
        if (verdict.done) return verdict.outcome;
        delayMs = Math.min(delayMs * 2, background.maxPollIntervalMs);
        nextPollMs = monotonicMs() + delayMs;
      }
      if (final)
        return { kind: 'full_hold', reason: stopping ? 'background_untracked_at_shutdown' : 'background_max_duration' };
    }
  }

  const settleFollowed = async (job: BackgroundJob, state: Tracked): Promise<void> => {
    let outcome: BackgroundOutcome;
    try {
      outcome = await follow(job, state);
    } catch (error) {
      deps.logger.error({ response_id: job.responseId, err: error }, 'background tracking failed');
      outcome = { kind: 'full_hold', reason: 'background_tracking_failed' };
    } finally {
      tracked.delete(job.responseId);
      deps.metrics.backgroundTracked.dec();
    }
    deps.logger.info(
      { decision_id: job.decisionId, response_id: job.responseId, outcome: outcome.kind },
      'background response settled',
    );
    await job.settle(outcome);
  };

  return {
    track(job) {
      if (stopping || tracked.size >= background.maxTracked || tracked.has(job.responseId)) return false;
      const state: Tracked = { observed: undefined, wake: null };
      tracked.set(job.responseId, state);
      deps.metrics.backgroundTracked.inc();
      deps.tasks.track(settleFollowed(job, state));
      return true;
    },
    has: (responseId) => tracked.has(responseId),
    observe(responseId, body) {
      const state = tracked.get(responseId);
      if (state === undefined) return;
      state.observed = body;
      state.wake?.();
    },
    stop() {
      stopping = true;
      for (const state of tracked.values()) state.wake?.();
    },
    get size() {
      return tracked.size;
    },
  };
}
