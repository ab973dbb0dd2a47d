// The effective output cap of a call (docs/design.md §4): the client's cap (or the tenant
// default), held to the tenant maximum, the model's maximum output and what the
// context window leaves after the input. Budget-derived clamping happens later, in
// policy. Pure; throws RuncapError for the policy refusals.
import { RuncapError } from '../errors.js';
import type { OutputPolicy } from './types.js';

export type OutputCapSource = 'client' | 'tenant_default' | 'tenant_max' | 'model_max' | 'context_window';

export interface OutputCapInput {
  /** max_completion_tokens / max_tokens / max_output_tokens as sent; null when absent. */
  readonly clientMaxOutputTokens: number | null;
  readonly policy: OutputPolicy;
  /** 0 (or less) means the model publishes no output maximum. */
  readonly modelMaxOutputTokens: number;
  /** 0 (or less) means the context window is unknown. */
  readonly contextWindow: number;
  readonly inputTokens: number;
  /** Request field named in errors about the cap; default "max_completion_tokens". */
  readonly capParam?: string;
  /** Request field named when the input alone fills the context; default "messages". */
  readonly inputParam?: string;
}

export interface OutputCap {
  readonly effective: number;
  readonly clientRequested: number | null;
  /** Which limit decided `effective`. */
  readonly source: OutputCapSource;
}

export function effectiveOutputCap(input: OutputCapInput): OutputCap {
  const { clientMaxOutputTokens: client, policy } = input;
  const capParam = input.capParam ?? 'max_completion_tokens';
  let effective: number;
  let source: OutputCapSource;

  if (client === null) {
    if (policy.onMissing === 'reject') {
      throw new RuncapError(
        'max_output_tokens_required',
        `This tenant requires an output token cap: set ${capParam} (at most ${policy.maxTokens}).`,
        { param: capParam },
      );
    }
    effective = policy.defaultMaxTokens;
    source = 'tenant_default';
  } else {
    if (!Number.isSafeInteger(client) || client < 1) {
      throw new RuncapError('invalid_request', `${capParam} must be a positive integer, got ${client}.`, {
        param: capParam,
      });
    }
    effective = client;
    source = 'client';
  }

  if (effective > policy.maxTokens) {
    if (source === 'client' && policy.onAbove === 'reject') {
      throw new RuncapError(
        'max_output_tokens_above_policy',
        `${capParam} ${effective} is above this tenant's maximum of ${policy.maxTokens} output tokens.`,
        { param: capParam },
      );
    }
    effective = policy.maxTokens;
    source = 'tenant_max';
  }

  if (input.modelMaxOutputTokens > 0 && effective > input.modelMaxOutputTokens) {
    effective = input.modelMaxOutputTokens;
    source = 'model_max';
  }

  if (input.contextWindow > 0) {
    const room = input.contextWindow - input.inputTokens;
    if (room < 1) {
      const inputParam = input.inputParam ?? 'messages';
      throw new RuncapError(
        'invalid_request',
        `The input (about ${input.inputTokens} tokens) exceeds the model's context window of ${input.contextWindow} tokens, leaving no room for output.`,
        { param: inputParam },
      );
    }
    if (effective > room) {
      effective = room;
      source = 'context_window';
    }
  }

  return { effective, clientRequested: client, source };
}
