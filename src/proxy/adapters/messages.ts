// The Anthropic Messages adapter (POST /v1/messages, Anthropic API reference "Messages";
// docs/design.md §8.1): validates what metering needs, rewrites model / max_tokens (and a thinking
// budget that no longer fits under it), reads usage from the message and from the event stream.
// Knows nothing of budgets or the ledger.
import type { EndpointAdapter, HostedTool, HostedToolUse, ParsedRequest, RequestNeeds } from '../adapter.js';
import { invalidRequest } from '../../errors.js';
import { estimateMessagesInput } from '../../estimate/messages.js';
import { usageFromAnthropic } from '../usage.js';
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
} from './body-fields.js';
import { createMessagesStreamMeter } from './messages-stream-meter.js';
import { messagesNewestStep } from './newest-step.js';
import { SERVER_TOOLS, serverToolCalls } from './server-tools.js';

/** The smallest thinking budget the API takes. */
const MIN_THINKING_BUDGET = 1024;

/** Anthropic's content: a string or an array of content blocks. */
function checkContent(message: Record<string, unknown>, index: number): void {
  const content = message['content'];
  if (typeof content !== 'string' && !Array.isArray(content)) {
    throw invalidRequest(
      `'messages[${index}].content' must be a string or an array of content blocks.`,
      `messages[${index}].content`,
    );
  }
}

/** An image block anywhere in the messages, tool results included. */
function hasImage(blocks: readonly unknown[]): boolean {
  return blocks.some(
    (block) =>
      isRecord(block) &&
      (block['type'] === 'image' || (Array.isArray(block['content']) && hasImage(block['content'] as unknown[]))),
  );
}

function messagesNeeds(body: Body, messages: readonly Record<string, unknown>[]): RequestNeeds {
  const tools = optionalArray(body, 'tools') ?? [];
  return {
    tools: tools.length > 0,
    jsonSchema: optionalObject(body, 'output_format') !== null,
    vision: messages.some((message) => Array.isArray(message['content']) && hasImage(message['content'])),
  };
}

/**
 * Server tools and their `max_uses` (the calls one request may make of each). The bound is their
 * sum; a server tool without `max_uses` leaves the calls unbounded (null), which the hosted-tool
 * plan refuses unless the tenant sets a default.
 */
function serverToolUse(tools: readonly unknown[]): HostedToolUse | null {
  const found: HostedTool[] = [];
  let maxCalls: number | null = 0;
  tools.forEach((tool, index) => {
    if (!isRecord(tool) || typeof tool['type'] !== 'string') return;
    const type = tool['type'];
    const known = SERVER_TOOLS.find(({ prefix }) => type.startsWith(prefix));
    if (!known) return;
    found.push({ feeKey: known.feeKey, units: 1, callItem: known.counter, param: `tools[${index}]` });
    const uses = tool['max_uses'];
    if (typeof uses === 'number' && Number.isSafeInteger(uses) && uses >= 0 && maxCalls !== null) maxCalls += uses;
    else maxCalls = null;
  });
  return found.length === 0 ? null : { tools: found, maxCalls, capField: null, limitParam: 'max_uses' };
}

export function parseMessages(raw: unknown): ParsedRequest {
  const body = requireBody(raw);
  const model = requireModel(body);
  const messages = requireMessages(body, checkContent);
  const stream = optionalBoolean(body, 'stream') ?? false;
  const system = body['system'];
  if (system !== undefined && system !== null && typeof system !== 'string' && !Array.isArray(system)) {
    throw invalidRequest("'system' must be a string or an array of text blocks.", 'system');
  }
  return {
    endpoint: 'messages',
    body,
    model,
    stream,
    // Required by the API, and it includes any thinking budget (docs/design.md §8.1).
    clientMaxOutputTokens: optionalInteger(body, 'max_tokens', 0),
    outputMultiplier: 1,
    needs: messagesNeeds(body, messages),
    clientWantsStreamUsage: false, // not applicable: every Messages stream carries usage
    previousResponseId: null,
    hostedTools: serverToolUse(optionalArray(body, 'tools') ?? []),
    hasOutput: true,
  };
}

/**
 * The body to forward when the model or the cap changes. A lowered max_tokens takes the thinking
 * budget down with it (the API requires budget_tokens < max_tokens), never below the API's minimum.
 */
function prepareMessages(
  request: ParsedRequest,
  changes: { readonly model?: string; readonly maxOutputTokens?: number },
): Record<string, unknown> | null {
  const model = changes.model !== undefined && changes.model !== request.model ? changes.model : undefined;
  const cap =
    changes.maxOutputTokens !== undefined && changes.maxOutputTokens !== request.clientMaxOutputTokens
      ? changes.maxOutputTokens
      : undefined;
  if (model === undefined && cap === undefined) return null;
  const copy: Record<string, unknown> = { ...request.body };
  if (model !== undefined) copy['model'] = model;
  if (cap !== undefined) {
    copy['max_tokens'] = cap;
    const thinking = copy['thinking'];
    if (isRecord(thinking) && typeof thinking['budget_tokens'] === 'number' && thinking['budget_tokens'] >= cap) {
      copy['thinking'] = { ...thinking, budget_tokens: Math.max(MIN_THINKING_BUDGET, cap - 1) };
    }
  }
  return copy;
}

export const messagesAdapter: EndpointAdapter = {
  name: 'messages',
  provider: 'anthropic',
  path: '/messages',
  upstreamPath: '/v1/messages',
  parse: parseMessages,
  estimateInput: (request, price, tokenizer) => estimateMessagesInput(request.body, price, tokenizer),
  prepareUpstream: prepareMessages,
  usageFromJson: (body) => (isRecord(body) ? usageFromAnthropic(body['usage']) : null),
  hostedCallsFromJson: (body) => serverToolCalls(isRecord(body) ? body['usage'] : null),
  meterStream: () => createMessagesStreamMeter(),
  newestStepHash: (request) => messagesNewestStep(request.body['messages']),
};
