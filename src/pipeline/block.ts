// The refusal of a call that does not fit its budget (docs/design.md §6): a `<scope>_ceiling_reached`
// problem with the `budget` member and capability-valid `alternatives`. Pure.
import type { TenantPolicy } from '../config/types.js';
import { RuncapError, type ErrorCode } from '../errors.js';
import type { ScopeView } from '../ledger/index.js';
import { formatUsd } from '../money/micros.js';
import { scopeLabel } from './decision.js';
import type { CallPlan } from './plan.js';

const CODE_BY_SCOPE = {
  run: 'run_ceiling_reached',
  key: 'key_ceiling_reached',
  user: 'user_ceiling_reached',
  team: 'team_ceiling_reached',
  feature: 'feature_ceiling_reached',
} as const satisfies Record<ScopeView['type'], ErrorCode>;

export interface BlockInput {
  readonly tenant: TenantPolicy;
  readonly blocking: ScopeView;
  readonly plan: CallPlan;
  readonly runId: string;
  readonly priceTableVersion: string;
  readonly alternatives: readonly Record<string, unknown>[];
}

const SOURCES = {
  conversation: 'a conversation runcap has not seen billed',
  previous_response: 'a previous response runcap has not seen billed',
  stored_prompt: 'a stored prompt template',
  item_reference: 'items referenced by id',
  file: 'files (the provider extracts their text and page images itself)',
} as const;

/** Why the worst case is what it is, when a part of it is a bound rather than a count (docs/bounds.md). */
export function worstCaseNote(plan: CallPlan): string {
  const notes: string[] = [];
  const input = plan.providerInput;
  if (input?.contextWindow) {
    const what = input.sources.map((source) => SOURCES[source]).join(', ');
    notes.push(
      `its input is held at the model's whole context window (${plan.price.contextWindow} tokens less the output cap)` +
        ` because the provider adds input runcap cannot measure${what === '' ? '' : `: ${what}`}`,
    );
  }
  if (plan.outputMultiplier > 1) {
    notes.push(`${plan.maxOutputTokens} output tokens for each of ${plan.outputMultiplier} generations`);
  }
  if (plan.extraOutputTokens > 0) {
    notes.push(`${plan.extraOutputTokens} predicted-output tokens, billed as output when the model rejects them`);
  }
  const tools = plan.hostedTools;
  if (tools && tools.maxCalls > 0) {
    notes.push(
      `up to ${tools.maxCalls} hosted tool calls at up to $${formatUsd(tools.maxFeeMicros)} each,` +
        ` each making the provider read up to ${tools.stepInputTokens} input tokens again`,
    );
  }
  return notes.length === 0 ? '' : ` (${notes.join('; ')})`;
}

/** The refusal code of a blocking scope: an ancestor run's is `parent_run_ceiling_reached`. */
export function blockCode(blocking: Pick<ScopeView, 'type' | 'id'>, runId: string): ErrorCode {
  return scopeLabel(blocking, runId) === 'parent_run' ? 'parent_run_ceiling_reached' : CODE_BY_SCOPE[blocking.type];
}

/** How a refusal's message names a scope: `run`, `key`, ... or `parent run "<id>"`. */
export function scopeName(blocking: Pick<ScopeView, 'type' | 'id'>, runId: string): string {
  return scopeLabel(blocking, runId) === 'parent_run' ? `parent run "${blocking.id}"` : blocking.type;
}

export function blockError(input: BlockInput): RuncapError {
  const { blocking, plan } = input;
  const label = scopeName(blocking, input.runId);
  const remaining = blocking.availableMicros ?? 0;
  const limit = blocking.limitMicros ?? 0;
  const cheaper = input.alternatives.map((alt) => `${String(alt.model)} (up to $${String(alt.estimate_usd)})`);
  const message =
    blocking.mode === 'actuals_only'
      ? `The ${label} budget of $${formatUsd(limit)} is spent ($${formatUsd(blocking.committedMicros)} committed).`
      : `The ${label} budget is exhausted: this call could cost up to $${formatUsd(plan.amountMicros)} on ${plan.price.model}` +
        `${worstCaseNote(plan)}, but only $${formatUsd(Math.max(0, remaining))} of $${formatUsd(limit)} remains.` +
        (cheaper.length > 0 ? ` Cheaper models that fit: ${cheaper.join(', ')}.` : '');
  return new RuncapError(blockCode(blocking, input.runId), message, {
    status: input.tenant.blockStatus,
    members: {
      budget: {
        scope: scopeLabel(blocking, input.runId),
        scope_id: blocking.id,
        run_id: input.runId,
        limit_usd: formatUsd(limit),
        committed_usd: formatUsd(blocking.committedMicros),
        reserved_usd: formatUsd(blocking.reservedMicros),
        remaining_usd: formatUsd(remaining),
        estimate_usd: formatUsd(plan.amountMicros),
        effective_max_output_tokens: plan.maxOutputTokens,
        client_requested_max_output_tokens: plan.clientRequestedMaxOutputTokens,
        price_table_version: input.priceTableVersion,
      },
      alternatives: input.alternatives,
    },
  });
}
