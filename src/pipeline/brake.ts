// The refusal of a call a runaway brake stopped (docs/design.md §12): 429 `run_velocity_exceeded`
// with Retry-After (whole seconds until the hold would fit) and decision `throttle`, or the block
// `run_loop_detected` (the tenant's block status, 402 by default). Both carry the `budget` member
// of the call's own run and a member naming the brake. Pure.
import type { TenantPolicy } from '../config/types.js';
import { RuncapError } from '../errors.js';
import type { BrakeVerdict, ScopeView } from '../ledger/index.js';
import { formatUsd, type Micros } from '../money/micros.js';
import { scopeName } from './block.js';
import type { DecisionKind } from './decision.js';

export interface BrakeInput {
  readonly tenant: TenantPolicy;
  readonly brake: BrakeVerdict;
  /** The call's own run. */
  readonly runId: string;
  /** Scope views of the call, in order (its run first). */
  readonly views: readonly ScopeView[];
  readonly amountMicros: Micros;
  readonly maxOutputTokens: number | null;
  readonly clientMaxOutputTokens: number | null;
  readonly priceTableVersion: string;
}

/** The decision a brake makes: velocity throttles (it clears by itself), a loop blocks. */
export function brakeDecision(brake: BrakeVerdict): Exclude<DecisionKind, 'allow' | 'downgrade' | 'advisory_warn'> {
  return brake.kind === 'velocity' ? 'throttle' : 'block';
}

/** The scope a brake stopped: the run scope of the run it names (the call's run, or an ancestor). */
export function brakeScope(brake: BrakeVerdict, views: readonly ScopeView[]): ScopeView | null {
  return views.find((view) => view.type === 'run' && view.id === brake.runId) ?? null;
}

/** Whole seconds to wait, at least one: what Retry-After says. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}

export function brakeError(input: BrakeInput): RuncapError {
  const { brake } = input;
  const own = input.views.find((view) => view.type === 'run' && view.id === input.runId);
  const budget = {
    scope: 'run',
    run_id: input.runId,
    limit_usd: formatUsd(own?.limitMicros ?? 0),
    committed_usd: formatUsd(own?.committedMicros ?? 0),
    reserved_usd: formatUsd(own?.reservedMicros ?? 0),
    remaining_usd: formatUsd(Math.max(0, own?.availableMicros ?? 0)),
    estimate_usd: formatUsd(input.amountMicros),
    effective_max_output_tokens: input.maxOutputTokens,
    client_requested_max_output_tokens: input.clientMaxOutputTokens,
    price_table_version: input.priceTableVersion,
  };
  if (brake.kind === 'loop') {
    const times = brake.repeats + 1;
    return new RuncapError(
      'run_loop_detected',
      `Run "${input.runId}" sent the same step ${times} times in a row (its last assistant turn and the tool results ` +
        `after it, byte for byte); this tenant stops a run after ${brake.maxRepeats} repeats (run.max_repeated_steps). ` +
        'The agent is looping: change what it does, or start a new run.',
      {
        status: input.tenant.blockStatus,
        members: {
          budget,
          loop: { run_id: brake.runId, repeats: brake.repeats, max_repeated_steps: brake.maxRepeats },
        },
      },
    );
  }
  const who = scopeName({ type: 'run', id: brake.runId }, input.runId);
  const velocity = {
    run_id: brake.runId,
    limit_usd_per_minute: formatUsd(brake.limitMicros),
    spent_last_minute_usd: formatUsd(brake.spentMicros),
    estimate_usd: formatUsd(input.amountMicros),
    retry_after_seconds: brake.retryAfterMs === null ? null : retryAfterSeconds(brake.retryAfterMs),
  };
  const spending = `The ${who} spent $${formatUsd(brake.spentMicros)} in the last minute; this call could cost up to $${formatUsd(input.amountMicros)}`;
  if (brake.retryAfterMs === null) {
    return new RuncapError(
      'run_velocity_exceeded',
      `${spending}, more than the $${formatUsd(brake.limitMicros)} a run may spend in any minute (run.max_usd_per_minute), ` +
        'so waiting will not help: lower its output cap or use a cheaper model.',
      { members: { budget, velocity } },
    );
  }
  const seconds = retryAfterSeconds(brake.retryAfterMs);
  return new RuncapError(
    'run_velocity_exceeded',
    `${spending}, and a run may spend at most $${formatUsd(brake.limitMicros)} per minute (run.max_usd_per_minute). ` +
      `Retry in ${seconds} s.`,
    { members: { budget, velocity }, retryAfterSeconds: seconds },
  );
}
