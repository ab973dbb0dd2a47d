// The chat completions adapter (POST /v1/chat/completions, OpenAI API reference "Create chat
// completion"): validates what metering needs, rewrites model / output cap / stream usage,
// reads usage. Knows nothing of budgets or the ledger.
import type { EndpointAdapter, HostedToolUse, ParsedRequest, RequestNeeds } from '../adapter.js';
import { estimateChatInput } from '../../estimate/chat.js';
import { usageFromChat, withServedTier } from '../usage.js';
import {
  type Body,
  isRecord,
  optionalArray,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  requireBody,
  requireMessages,
  requireModel,
  serviceTierField,
} from './body-fields.js';
import { createChunkStreamMeter, pushText, type ChoiceTextReader } from './chunk-stream-meter.js';
import { chatNewestStep } from './newest-step.js';
import { rewriteBody } from './upstream-body.js';

/**
 * Cap fields, preferred first. `max_tokens` is deprecated and o-series / gpt-5 models reject
 * it, so a cap the client did not send goes into `max_completion_tokens`.
 */
const CAP_FIELDS = ['max_completion_tokens', 'max_tokens'] as const;

function hasImage(messages: readonly Record<string, unknown>[]): boolean {
  return messages.some((message) => {
    const content = message['content'];
    return Array.isArray(content) && content.some((part: unknown) => isRecord(part) && part['type'] === 'image_url');
  });
}

/**
 * JSON mode (`json_object`) counts as a JSON-schema need too: the price table has one
 * structured-output capability, and a model without it may reject `response_format` at all,
 * so an auto-downgrade must not pick such a model for either mode.
 */
function wantsJson(body: Body): boolean {
  const format = optionalObject(body, 'response_format');
  return format !== null && (format['type'] === 'json_schema' || format['type'] === 'json_object');
}

function chatNeeds(body: Body, messages: readonly Record<string, unknown>[]): RequestNeeds {
  const tools = optionalArray(body, 'tools') ?? [];
  const functions = optionalArray(body, 'functions') ?? [];
  return { tools: tools.length > 0 || functions.length > 0, jsonSchema: wantsJson(body), vision: hasImage(messages) };
}

/**
 * Chat web search (`web_search_options`, or a search model such as gpt-4o-search-preview, which
 * searches whether asked or not): the provider searches before it answers and invoices each
 * search. Chat shows no call items and has no limit field: one search per choice (docs/bounds.md).
 */
function chatSearch(body: Body, model: string, n: number): HostedToolUse | null {
  const options = optionalObject(body, 'web_search_options');
  if (options === null && !/(^|[-/])search([-_]|$)/.test(model)) return null;
  const tool = { feeKey: 'web_search_preview', units: 1, callItem: null, param: 'web_search_options' };
  return { tools: [tool], maxCalls: n, capField: null };
}

export function parseChat(raw: unknown): ParsedRequest {
  const body = requireBody(raw);
  const model = requireModel(body);
  const messages = requireMessages(body);
  const stream = optionalBoolean(body, 'stream') ?? false;
  const maxCompletionTokens = optionalInteger(body, 'max_completion_tokens', 0);
  const maxTokens = optionalInteger(body, 'max_tokens', 0);
  const n = optionalInteger(body, 'n', 1) ?? 1;
  const streamOptions = optionalObject(body, 'stream_options');
  return {
    endpoint: 'chat',
    body,
    model,
    stream,
    // Both sent: the larger bounds the hold (a provider may honour either field).
    clientMaxOutputTokens:
      maxCompletionTokens !== null && maxTokens !== null
        ? Math.max(maxCompletionTokens, maxTokens)
        : (maxCompletionTokens ?? maxTokens),
    serviceTier: serviceTierField(body),
    outputMultiplier: n,
    needs: chatNeeds(body, messages),
    clientWantsStreamUsage: stream && streamOptions !== null && streamOptions['include_usage'] === true,
    previousResponseId: null,
    hostedTools: chatSearch(body, model, n),
    hasOutput: true,
  };
}

/** Generated text of a chat chunk choice: content, refusal, reasoning, tool-call names and arguments. */
export const readChatChoiceText: ChoiceTextReader = (choice, out) => {
  const delta = choice['delta'];
  if (!isRecord(delta)) return;
  pushText(out, delta['content']);
  pushText(out, delta['refusal']);
  pushText(out, delta['reasoning_content']); // DeepSeek-style and several compatible servers
  pushText(out, delta['reasoning']);
  const calls = delta['tool_calls'];
  const fns = Array.isArray(calls) ? calls.map((call: unknown) => (isRecord(call) ? call['function'] : null)) : [];
  fns.push(delta['function_call']); // the deprecated single-function form
  for (const fn of fns) {
    if (!isRecord(fn)) continue;
    pushText(out, fn['name']);
    pushText(out, fn['arguments']);
  }
};

export const chatAdapter: EndpointAdapter = {
  name: 'chat',
  provider: 'openai',
  path: '/chat/completions',
  parse: parseChat,
  estimateInput: (request, price, tokenizer) => estimateChatInput(request.body, price, tokenizer),
  prepareUpstream: (request, changes) =>
    rewriteBody(request, changes, { capFields: CAP_FIELDS, injectStreamUsage: true }),
  usageFromJson: (body) => (isRecord(body) ? withServedTier(usageFromChat(body['usage']), body['service_tier']) : null),
  meterStream: (request) =>
    createChunkStreamMeter({ hideUsageChunk: !request.clientWantsStreamUsage, readChoiceText: readChatChoiceText }),
  newestStepHash: (request) => chatNewestStep(request.body['messages']),
};
