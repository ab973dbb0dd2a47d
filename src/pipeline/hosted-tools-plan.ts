// The bound of a request's hosted tool calls (docs/bounds.md): how many calls it can make (its
// max_tool_calls, the tenant default that runcap then writes upstream, or an endpoint's fixed
// count), the fee of each, and the input every call makes the provider read again (the context
// so far plus the call's results). Fails closed: a hosted tool without a known fee, or calls
// without a limit, are refused with a 4xx the tenant can lift by policy. Pure.
import type { HostedToolsPolicy } from '../config/types.js';
import { RuncapError } from '../errors.js';
import type { Micros } from '../money/micros.js';
import type { HostedCallCounts, HostedToolUse } from '../proxy/adapter.js';

export interface HostedToolsPlan {
  /** The most hosted calls the request can make. */
  readonly maxCalls: number;
  /** Where that number comes from; `tenant_default` is written upstream as the request's limit. */
  readonly callsSource: 'request' | 'tenant_default' | 'fixed';
  /** The fee of one call of the dearest tool offered. */
  readonly maxFeeMicros: Micros;
  /** Fee per call by the output item that records it (what a commit counts). */
  readonly feeByCallItem: ReadonlyMap<string, Micros>;
  /** Calls no response shows (chat search): committed as held. */
  readonly unobservedFeeMicros: Micros;
  /** Input tokens each call may make the provider bill again (at most the context window). */
  readonly stepInputTokens: number;
  /** maxCalls x maxFeeMicros + unobserved: the fee part of the hold. */
  readonly feesMicros: Micros;
}

export interface HostedToolsInput {
  readonly use: HostedToolUse;
  readonly policy: HostedToolsPolicy;
  /** Input tokens the request itself is held at (its own, chains, provider-side bounds). */
  readonly inputTokens: number;
  /** The output cap of the whole response (every step's output counts against it). */
  readonly maxOutputTokens: number;
  /** 0 or less: unknown. */
  readonly contextWindow: number;
}

export function planHostedTools(input: HostedToolsInput): HostedToolsPlan {
  const { use, policy } = input;
  const feeByCallItem = new Map<string, Micros>();
  let maxFeeMicros = 0;
  let unobservedPerCall = 0;
  for (const tool of use.tools) {
    const fee = policy.feesMicros.get(tool.feeKey);
    if (fee === undefined) {
      throw new RuncapError(
        'price_unknown',
        `runcap has no per-call fee for the hosted tool "${tool.feeKey}" (${tool.param}), so it cannot bound what its calls cost; the tenant can price it in hosted_tools.fees_usd.${tool.feeKey}.`,
        { param: tool.param },
      );
    }
    const perCall = fee * tool.units;
    maxFeeMicros = Math.max(maxFeeMicros, perCall);
    if (tool.callItem === null) unobservedPerCall = Math.max(unobservedPerCall, perCall);
    else feeByCallItem.set(tool.callItem, Math.max(feeByCallItem.get(tool.callItem) ?? 0, perCall));
  }
  const { maxCalls, callsSource } = callBound(use, policy);
  const stepInputTokens = stepTokens(input, maxCalls);
  return {
    maxCalls,
    callsSource,
    maxFeeMicros,
    feeByCallItem,
    unobservedFeeMicros: unobservedPerCall * maxCalls,
    stepInputTokens,
    feesMicros: maxFeeMicros * maxCalls,
  };
}

function callBound(use: HostedToolUse, policy: HostedToolsPolicy): Pick<HostedToolsPlan, 'maxCalls' | 'callsSource'> {
  if (use.maxCalls !== null)
    return { maxCalls: use.maxCalls, callsSource: use.capField === null ? 'fixed' : 'request' };
  if (use.capField !== null && policy.defaultMaxCalls > 0) {
    return { maxCalls: policy.defaultMaxCalls, callsSource: 'tenant_default' };
  }
  const names = [...new Set(use.tools.map((tool) => tool.feeKey))].join(', ');
  const field = use.capField ?? use.limitParam ?? 'max_tool_calls';
  throw new RuncapError(
    'max_tool_calls_required',
    `This request offers hosted tools (${names}) that the provider runs and invoices per call, and sets no ${field}, so runcap cannot bound its cost: set ${field}${use.capField === null ? '' : ', or the tenant can set hosted_tools.default_max_calls'}.`,
    { param: field },
  );
}

/**
 * Each call is followed by another pass over the context: what came before (input and at most
 * the output cap) plus the results of every call so far. Without a trusted bound on results,
 * a pass can fill the context window; never more.
 */
function stepTokens(input: HostedToolsInput, maxCalls: number): number {
  const { contextWindow } = input;
  const results = input.policy.resultTokensPerCall;
  if (results === null) {
    if (contextWindow > 0) return contextWindow;
    throw new RuncapError(
      'price_unknown',
      'The price table gives this model no context window, so runcap cannot bound what hosted tool calls add to the input; the tenant can set hosted_tools.result_tokens_per_call.',
      { param: 'tools' },
    );
  }
  const grown = input.inputTokens + input.maxOutputTokens + maxCalls * results;
  return contextWindow > 0 ? Math.min(contextWindow, grown) : grown;
}

/** The fees of the calls a response made (by output item), plus the calls it cannot show. */
export function hostedFeesMicros(plan: HostedToolsPlan, calls: HostedCallCounts): Micros {
  let fees = plan.unobservedFeeMicros;
  for (const [item, count] of Object.entries(calls)) fees += count * (plan.feeByCallItem.get(item) ?? 0);
  return fees;
}

/** How many of a response's calls were hosted calls with a fee (the re-reads a cut stream is charged). */
export function hostedCallCount(plan: HostedToolsPlan, calls: HostedCallCounts): number {
  let total = 0;
  for (const [item, count] of Object.entries(calls)) if (plan.feeByCallItem.has(item)) total += count;
  return Math.min(total, plan.maxCalls);
}
