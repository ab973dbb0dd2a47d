// What serving a request on one model would cost at worst (docs/design.md §4, §8; docs/bounds.md): input
// tokens (plus a Responses chain or conversation, and input the provider adds from its side,
// bounded by the context window), the effective output cap (times n / best_of / prompts, plus
// rejected prediction tokens), hosted tool calls (fees and re-reads), and the worst-case amount.
import type { TenantPolicy } from '../config/types.js';
import { effectiveOutputCap } from '../estimate/output-cap.js';
import type { CacheWrites, InputEstimate, ProviderInputKind, Tokenizer } from '../estimate/types.js';
import type { Micros } from '../money/micros.js';
import type { EndpointAdapter, EndpointName, ParsedRequest, UpstreamChanges } from '../proxy/adapter.js';
import { maxOutputAffordable, worstCaseMicros, type WorstCaseOptions } from '../pricing/cost.js';
import type { ModelPrice } from '../pricing/types.js';
import type { ChainTokens } from '../ledger/index.js';
import { planHostedTools, type HostedToolsPlan } from './hosted-tools-plan.js';

/** Request fields named in cap and context-window errors. */
const CAP_PARAM = {
  chat: 'max_completion_tokens',
  responses: 'max_output_tokens',
  completions: 'max_tokens',
  embeddings: 'input',
  messages: 'max_tokens',
} as const satisfies Record<EndpointName, string>;
const INPUT_PARAM = {
  chat: 'messages',
  responses: 'input',
  completions: 'prompt',
  embeddings: 'input',
  messages: 'messages',
} as const satisfies Record<EndpointName, string>;
/** Budget clamping never forwards a cap below this (the Responses API rejects caps under 16). */
const MIN_CLAMPED_OUTPUT_TOKENS = 16;

/** A Responses conversation: its id, and the tokens runcap last learned it holds (null: never seen). */
export interface ConversationState {
  readonly id: string;
  readonly knownTokens: number | null;
}

/** Input the provider adds from its side that runcap cannot measure, and how it was bounded. */
export interface ProviderInputBound {
  readonly sources: readonly ProviderInputKind[];
  /** True when the input is held as if it filled the context window (minus the output cap). */
  readonly contextWindow: boolean;
}

export interface CallPlan {
  readonly price: ModelPrice;
  /** Input tokens the provider will bill, a Responses chain or conversation included. */
  readonly inputTokens: number;
  /** The chain part of inputTokens; null without previous_response_id; 'unknown' when estimated conservatively. */
  readonly chainTokens: number | 'unknown' | null;
  readonly conversation: ConversationState | null;
  readonly providerInput: ProviderInputBound | null;
  readonly clientRequestedMaxOutputTokens: number | null;
  /** Output cap per generated output (0 for endpoints without output). */
  readonly maxOutputTokens: number;
  /** The cap before budget-derived clamping (equal to maxOutputTokens when not clamped). */
  readonly policyMaxOutputTokens: number;
  readonly outputMultiplier: number;
  /** Output billed besides the generated tokens (rejected prediction tokens), in all. */
  readonly extraOutputTokens: number;
  readonly hostedTools: HostedToolsPlan | null;
  readonly amountMicros: Micros;
  readonly outputClamped: boolean;
  /** The input-side rates the request can trigger (cache writes), for the worst case. */
  readonly worstCase: WorstCaseOptions;
}

export interface PlanContext {
  readonly adapter: EndpointAdapter;
  readonly request: ParsedRequest;
  readonly tenant: TenantPolicy;
  readonly tokenizer: Tokenizer;
  /** The previous response's billed tokens, when the request continues a known chain. */
  readonly chain: ChainTokens | 'unknown' | null;
  readonly conversation?: ConversationState | null;
}

/**
 * Throws the docs/design.md §4 policy errors (cap required / above policy / context exceeded) and hosted-tool
 * refusals. `own` is the request's estimate at `price` when the tokenizer's prefetch already made it.
 */
export function planFor(
  context: PlanContext,
  price: ModelPrice,
  own: InputEstimate = context.adapter.estimateInput(context.request, price, context.tokenizer),
): CallPlan {
  const { request } = context;
  const conversation = context.conversation ?? null;
  const knownChain =
    context.chain !== null && context.chain !== 'unknown' ? context.chain.inputTokens + context.chain.outputTokens : 0;
  const knownSide = knownChain + (conversation?.knownTokens ?? 0);
  const sources = new Set<ProviderInputKind>(own.unmeasured);
  if (context.chain === 'unknown') sources.add('previous_response');
  if (conversation !== null && conversation.knownTokens === null) sources.add('conversation');

  let inputTokens = own.inputTokens + knownSide;
  let maxOutputTokens = 0;
  let contextBound = false;
  if (request.hasOutput) {
    // A known chain or conversation that no longer fits the window is cut (or refused) by the provider:
    // the room for output is then that of the request's own input, and the input is held at the window.
    const known = own.contextTokens + knownSide;
    const overflows = knownSide > 0 && price.contextWindow > 0 && known >= price.contextWindow;
    const cap = effectiveOutputCap({
      clientMaxOutputTokens: request.clientMaxOutputTokens ?? request.defaultMaxOutputTokens ?? null,
      policy: context.tenant.output,
      modelMaxOutputTokens: price.maxOutputTokens,
      contextWindow: price.contextWindow,
      inputTokens: overflows ? own.contextTokens : known,
      capParam: CAP_PARAM[request.endpoint],
      inputParam: INPUT_PARAM[request.endpoint],
    });
    maxOutputTokens = cap.effective;
    // Unmeasured input (or a chain that overflows): assume it fills the context window.
    if ((sources.size > 0 || overflows) && price.contextWindow > 0) {
      const held = price.contextWindow - maxOutputTokens;
      contextBound = held > inputTokens || overflows;
      inputTokens = overflows ? Math.max(own.inputTokens, held) : Math.max(inputTokens, held);
    }
  } else if (sources.size > 0) {
    contextBound = price.contextWindow > inputTokens;
    inputTokens = Math.max(inputTokens, price.contextWindow);
  }
  const hostedTools = request.hostedTools
    ? planHostedTools({
        use: request.hostedTools,
        policy: context.tenant.hostedTools,
        inputTokens,
        maxOutputTokens,
        contextWindow: price.contextWindow,
      })
    : null;
  // One literal, the amount filled in after: `{ ...base, maxOutputTokens, amountMicros }` costs
  // ~1.5 µs per property after the spread on Node 20 (decision-record.ts decisionRecordOf).
  const plan = {
    price,
    inputTokens,
    chainTokens: context.chain === null ? null : context.chain === 'unknown' ? ('unknown' as const) : knownChain,
    conversation,
    providerInput: sources.size > 0 || contextBound ? { sources: [...sources], contextWindow: contextBound } : null,
    clientRequestedMaxOutputTokens: request.clientMaxOutputTokens,
    policyMaxOutputTokens: maxOutputTokens,
    outputMultiplier: request.outputMultiplier,
    extraOutputTokens: request.hasOutput ? own.extraOutputTokens : 0,
    hostedTools,
    outputClamped: false,
    worstCase: worstCaseOptions(own.cacheWrites),
    maxOutputTokens,
    amountMicros: 0,
  };
  plan.amountMicros = amountFor(plan, maxOutputTokens);
  return plan;
}

type PlanBase = Omit<CallPlan, 'maxOutputTokens' | 'amountMicros'>;

/** An endpoint that cannot tell its cache writes is held as if it could write 5-minute entries. */
function worstCaseOptions(cacheWrites: CacheWrites | undefined): WorstCaseOptions {
  if (cacheWrites === undefined) return {};
  return { cacheWrite: cacheWrites !== 'none', cacheWrite1h: cacheWrites === '1h' };
}

/** Worst case: all input (with every hosted call's re-read), every output, every call's fee. */
function amountFor(plan: PlanBase, maxOutputTokens: number): Micros {
  const tools = plan.hostedTools;
  const input = plan.inputTokens + (tools ? tools.maxCalls * tools.stepInputTokens : 0);
  const output = maxOutputTokens * plan.outputMultiplier + plan.extraOutputTokens;
  return (
    worstCaseMicros(plan.price, input, output, plan.worstCase) +
    (tools ? tools.feesMicros + tools.unobservedFeeMicros : 0)
  );
}

/**
 * Opt-in budget-derived clamping (docs/design.md §4): the same plan with the largest output cap
 * whose worst case fits `budgetMicros`, or null when not even one output token fits.
 * Only the generated output shrinks: fees, re-reads and rejected predictions are fixed.
 */
export function clampToBudget(plan: CallPlan, budgetMicros: Micros): CallPlan | null {
  const tools = plan.hostedTools;
  const room = budgetMicros - (tools ? tools.feesMicros + tools.unobservedFeeMicros : 0);
  if (plan.maxOutputTokens === 0 || room <= 0) return null;
  const input = plan.inputTokens + (tools ? tools.maxCalls * tools.stepInputTokens : 0);
  const affordable = Math.floor(
    (maxOutputAffordable(plan.price, input, room, plan.worstCase) - plan.extraOutputTokens) / plan.outputMultiplier,
  );
  const cap = Math.min(affordable, plan.maxOutputTokens);
  if (cap < MIN_CLAMPED_OUTPUT_TOKENS || cap >= plan.maxOutputTokens) return null;
  return { ...plan, maxOutputTokens: cap, amountMicros: amountFor(plan, cap), outputClamped: true };
}

/**
 * What the forwarded body must say so the provider enforces the plan: the model when it is not
 * the requested one, the output cap when it differs from the client's, and the hosted-tool call
 * limit when it is the tenant default.
 */
export function upstreamChanges(request: ParsedRequest, plan: CallPlan, model?: string): UpstreamChanges {
  return {
    ...(model !== undefined ? { model } : {}),
    ...(request.hasOutput && plan.maxOutputTokens !== request.clientMaxOutputTokens
      ? { maxOutputTokens: plan.maxOutputTokens }
      : {}),
    ...(plan.hostedTools?.callsSource === 'tenant_default' ? { maxToolCalls: plan.hostedTools.maxCalls } : {}),
  };
}
