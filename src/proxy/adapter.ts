// The endpoint-adapter seam (STYLE "Seams"): one entry per metered endpoint (OpenAI's, and
// Anthropic's Messages API).
// Adapters parse and reshape request bodies and read usage; they know nothing of the ledger.
import type { ModelPrice, Usage } from '../pricing/types.js';
import type { InputEstimate, Tokenizer } from '../estimate/types.js';
import type { ProviderName } from '../providers.js';

export type EndpointName = 'chat' | 'responses' | 'completions' | 'embeddings' | 'messages';

/** What a request needs from a model, for capability-valid alternatives (docs/design.md §7). */
export interface RequestNeeds {
  readonly tools: boolean;
  readonly jsonSchema: boolean;
  readonly vision: boolean;
}

/** A tool the provider runs itself and invoices per call (docs/bounds.md). */
export interface HostedTool {
  /** The fee-table key (`web_search`, `code_interpreter`, ...); a type runcap does not know keeps its name. */
  readonly feeKey: string;
  /** Fee units one call costs (a code-interpreter container of 4 GB: 4). */
  readonly units: number;
  /** The output item type that records one call (what a commit counts); null when the endpoint shows none. */
  readonly callItem: string | null;
  /** Where the tool is in the request, for refusals, e.g. "tools[2]". */
  readonly param: string;
}

/** The hosted tools a request offers the model, and how many calls it allows. */
export interface HostedToolUse {
  readonly tools: readonly HostedTool[];
  /** max_tool_calls as sent, or the fixed count of an endpoint that has no such field; null: unbounded. */
  readonly maxCalls: number | null;
  /** The body field that limits the calls (written when a tenant default applies); null: the endpoint has none. */
  readonly capField: string | null;
  /** The field a refusal names when the calls are unbounded and no tenant default can be written (Anthropic `max_uses`). */
  readonly limitParam?: string;
}

export interface ParsedRequest {
  readonly endpoint: EndpointName;
  /** The parsed JSON body (never mutated; prepareUpstream copies). */
  readonly body: Readonly<Record<string, unknown>>;
  readonly model: string;
  readonly stream: boolean;
  /** max_completion_tokens / max_tokens / max_output_tokens as sent; null when absent. */
  readonly clientMaxOutputTokens: number | null;
  /**
   * The cap the provider itself applies when the client sends none (legacy completions: 16).
   * When set and clientMaxOutputTokens is null, the policy layer uses it in place of the tenant
   * default, so a missing cap neither over-reserves nor widens what the client gets.
   */
  readonly defaultMaxOutputTokens?: number;
  /**
   * OpenAI `service_tier` as sent (null or absent = none): the hold uses the tier's price
   * (docs/pricing.md "Service tiers"); the commit uses the tier the response reports.
   */
  readonly serviceTier?: string | null;
  /** n / best_of: how many outputs the provider generates and bills. */
  readonly outputMultiplier: number;
  readonly needs: RequestNeeds;
  /** Streaming chat/completions: whether the client itself asked for the usage chunk. */
  readonly clientWantsStreamUsage: boolean;
  /** Responses API chains. */
  readonly previousResponseId: string | null;
  /** Responses API `conversation` (its id): the provider prepends the conversation's items. */
  readonly conversationId?: string | null;
  /** Tools the provider runs itself with per-call fees; absent or null: none. */
  readonly hostedTools?: HostedToolUse | null;
  /** Endpoints without output tokens (embeddings) ignore the output cap entirely. */
  readonly hasOutput: boolean;
  /**
   * Responses API `background: true`: the provider keeps generating after the client leaves,
   * so the call's hold stays until runcap learns how the response ended (docs/background.md).
   */
  readonly background?: boolean;
}

export interface UpstreamChanges {
  /** Set when the model differs from the request's (auto-downgrade). */
  readonly model?: string;
  /** Set when the effective output cap differs from what the client sent. */
  readonly maxOutputTokens?: number;
  /** Set when a tenant default bounds the hosted tool calls of a request that sent no limit. */
  readonly maxToolCalls?: number;
}

/** What a finished (or cut) stream told us. */
export interface StreamResult {
  /** Provider-reported usage, when the stream carried it. */
  readonly usage: Usage | null;
  /** Generated text seen so far (content, tool-call arguments, refusals), to estimate a cut stream. */
  readonly outputText: string;
  /** Responses API: the response id, to remember billed tokens for previous_response_id chains. */
  readonly responseId: string | null;
  /** Hosted tool calls seen, by output item type (what the provider invoices per call). */
  readonly hostedCalls: HostedCallCounts;
  /**
   * The input side the provider reported before the end (Anthropic `message_start`): a stream cut
   * before its final usage is charged this input, exactly, plus an estimate of the output seen.
   */
  readonly inputUsage?: Usage | null;
}

/** Hosted tool calls of one response by output item type, e.g. {web_search_call: 3}. */
export type HostedCallCounts = Readonly<Record<string, number>>;

/**
 * Incremental SSE metering (the OpenAI stream format). Bytes go out at event
 * boundaries as they arrive; a meter may drop an event (the usage-only chat chunk
 * a client did not ask for) but never rewrites one.
 */
export interface StreamMeter {
  /** Feeds upstream bytes; returns the bytes to forward to the client now (possibly empty). */
  push(chunk: Uint8Array): Uint8Array;
  /** Upstream ended: returns whatever is still buffered. */
  flush(): Uint8Array;
  result(): StreamResult;
}

export interface EndpointAdapter {
  readonly name: EndpointName;
  /** The provider whose API this is: the call goes to an upstream of that provider. */
  readonly provider: ProviderName;
  /** Path under runcap's /v1, e.g. "/chat/completions"; also under the upstream base URL unless upstreamPath says otherwise. */
  readonly path: string;
  /** Path under the upstream base URL when it differs from `path` (Anthropic's base URL has no /v1). */
  readonly upstreamPath?: string;
  /** Validates the body; throws RuncapError('invalid_request') naming the bad field. */
  parse(body: unknown): ParsedRequest;
  /**
   * What the request's own body will cost: the input tokens the provider bills (before any
   * previous_response_id chain or conversation), extra output, and unmeasured provider-side input.
   */
  estimateInput(request: ParsedRequest, price: ModelPrice, tokenizer: Tokenizer): InputEstimate;
  /**
   * The body to send upstream. Returns null when nothing changes, so the client's
   * bytes are forwarded as they are. Streaming chat/completions always asks for usage.
   */
  prepareUpstream(request: ParsedRequest, changes: UpstreamChanges): Record<string, unknown> | null;
  /** Usage of a non-streaming JSON response; null when absent. */
  usageFromJson(body: unknown): Usage | null;
  /** Responses API: the id of a non-streaming response. */
  responseIdFromJson?(body: unknown): string | null;
  /** Responses API: the `status` of a response object (queued, in_progress, completed, ...). */
  responseStatusFromJson?(body: unknown): string | null;
  /** Hosted tool calls in a non-streaming response; absent: the endpoint shows none. */
  hostedCallsFromJson?(body: unknown): HostedCallCounts;
  meterStream(request: ParsedRequest): StreamMeter;
  /**
   * The request's newest agent-loop step, hashed (newest-step.ts), for the loop brake
   * (docs/design.md §12); null when it carries none (a first turn). Called only when a tenant
   * has the brake on. An endpoint without it is never loop-braked.
   */
  newestStepHash?(request: ParsedRequest): string | null;
}
