// What serving a request on one model would cost at worst (docs/design.md §4): input tokens
// (plus a Responses chain), the effective output cap, and the worst-case amount.
import type { TenantPolicy } from '../config/types.js';
import { effectiveOutputCap } from '../estimate/output-cap.js';
import type { Tokenizer } from '../estimate/types.js';
import type { Micros } from '../money/micros.js';
import type { EndpointAdapter, ParsedRequest } from '../proxy/adapter.js';
import { maxOutputAffordable, worstCaseMicros } from '../pricing/cost.js';
import type { ModelPrice } from '../pricing/types.js';
import type { ChainTokens } from '../ledger/index.js';

/** Request fields named in cap and context-window errors. */
const CAP_PARAM = {
  chat: 'max_completion_tokens',
  responses: 'max_output_tokens',
  completions: 'max_tokens',
  embeddings: 'input',
} as const;
const INPUT_PARAM = { chat: 'messages', responses: 'input', completions: 'prompt', embeddings: 'input' } as const;
/** Budget clamping never forwards a cap below this (the Responses API rejects caps under 16). */
const MIN_CLAMPED_OUTPUT_TOKENS = 16;

export interface CallPlan {
  readonly price: ModelPrice;
  /** Input tokens the provider will bill, a Responses chain included. */
  readonly inputTokens: number;
  /** The chain part of inputTokens; null without previous_response_id; 'unknown' when estimated conservatively. */
  readonly chainTokens: number | 'unknown' | null;
  readonly clientRequestedMaxOutputTokens: number | null;
  /** Output cap per generated output (0 for endpoints without output). */
  readonly maxOutputTokens: number;
  /** The cap before budget-derived clamping (equal to maxOutputTokens when not clamped). */
  readonly policyMaxOutputTokens: number;
  readonly outputMultiplier: number;
  readonly amountMicros: Micros;
  readonly outputClamped: boolean;
}

export interface PlanContext {
  readonly adapter: EndpointAdapter;
  readonly request: ParsedRequest;
  readonly tenant: TenantPolicy;
  readonly tokenizer: Tokenizer;
  /** The previous response's billed tokens, when the request continues a known chain. */
  readonly chain: ChainTokens | 'unknown' | null;
}

/** Throws the docs/design.md §4 policy errors (cap required / above policy / context exceeded). */
export function planFor(context: PlanContext, price: ModelPrice): CallPlan {
  const { request } = context;
  const ownInput = context.adapter.countInputTokens(request, price, context.tokenizer);
  const knownChain =
    context.chain !== null && context.chain !== 'unknown' ? context.chain.inputTokens + context.chain.outputTokens : 0;
  let inputTokens = ownInput + knownChain;
  let maxOutputTokens = 0;
  if (request.hasOutput) {
    const cap = effectiveOutputCap({
      clientMaxOutputTokens: request.clientMaxOutputTokens ?? request.defaultMaxOutputTokens ?? null,
      policy: context.tenant.output,
      modelMaxOutputTokens: price.maxOutputTokens,
      contextWindow: price.contextWindow,
      inputTokens,
      capParam: CAP_PARAM[request.endpoint],
      inputParam: INPUT_PARAM[request.endpoint],
    });
    maxOutputTokens = cap.effective;
    // An unknown previous response: assume the chain fills the context window.
    if (context.chain === 'unknown') inputTokens = Math.max(inputTokens, price.contextWindow - maxOutputTokens);
  } else if (context.chain === 'unknown') {
    inputTokens = Math.max(inputTokens, price.contextWindow);
  }
  const outputTokens = maxOutputTokens * request.outputMultiplier;
  return {
    price,
    inputTokens,
    chainTokens: context.chain === null ? null : context.chain === 'unknown' ? 'unknown' : knownChain,
    clientRequestedMaxOutputTokens: request.clientMaxOutputTokens,
    maxOutputTokens,
    policyMaxOutputTokens: maxOutputTokens,
    outputMultiplier: request.outputMultiplier,
    amountMicros: worstCaseMicros(price, inputTokens, outputTokens),
    outputClamped: false,
  };
}

/**
 * Opt-in budget-derived clamping (docs/design.md §4): the same plan with the largest output cap
 * whose worst case fits `budgetMicros`, or null when not even one output token fits.
 */
export function clampToBudget(plan: CallPlan, budgetMicros: Micros): CallPlan | null {
  if (plan.maxOutputTokens === 0 || budgetMicros <= 0) return null;
  const affordable = Math.floor(
    maxOutputAffordable(plan.price, plan.inputTokens, budgetMicros) / plan.outputMultiplier,
  );
  const cap = Math.min(affordable, plan.maxOutputTokens);
  if (cap < MIN_CLAMPED_OUTPUT_TOKENS || cap >= plan.maxOutputTokens) return null;
  return {
    ...plan,
    maxOutputTokens: cap,
    amountMicros: worstCaseMicros(plan.price, plan.inputTokens, cap * plan.outputMultiplier),
    outputClamped: true,
  };
}
