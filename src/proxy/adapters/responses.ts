// The Responses API adapter (POST /v1/responses, OpenAI API reference "Create a model
// response"): validates what metering needs, rewrites model / max_output_tokens, reads usage
// and the response id (for previous_response_id chains). Streams always report usage in their
// terminal event, so nothing is injected and nothing dropped. Knows nothing of the ledger.
import type { EndpointAdapter, HostedToolUse, ParsedRequest, RequestNeeds } from '../adapter.js';
import { invalidRequest } from '../../errors.js';
import { estimateResponsesInput } from '../../estimate/responses.js';
import { usageFromResponses, withServedTier } from '../usage.js';
import {
  type Body,
  isRecord,
  optionalArray,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalString,
  requireBody,
  requireModel,
  serviceTierField,
} from './body-fields.js';
import { hostedCallsOf, hostedToolsOf } from './hosted-tools.js';
import { responsesNewestStep } from './newest-step.js';
import { createResponsesStreamMeter } from './responses-stream-meter.js';
import { rewriteBody } from './upstream-body.js';

/** `input`: a string or an array of item objects; absent only when continuing a previous response or conversation. */
function requireInput(body: Body, continues: string | null): readonly Record<string, unknown>[] {
  const input = body['input'];
  if (input === undefined || input === null) {
    if (continues !== null || body['prompt'] !== undefined) return [];
    throw invalidRequest("'input' is required unless 'previous_response_id' is given.", 'input');
  }
  if (typeof input === 'string') return [];
  if (!Array.isArray(input)) throw invalidRequest("'input' must be a string or an array of input items.", 'input');
  return input.map((item: unknown, index) => {
    if (!isRecord(item)) throw invalidRequest(`'input[${index}]' must be an object.`, `input[${index}]`);
    return item;
  });
}

/** An `input_image` item or content part anywhere in the input. */
function hasImage(items: readonly Record<string, unknown>[]): boolean {
  return items.some((item) => {
    if (item['type'] === 'input_image') return true;
    const content = item['content'];
    return Array.isArray(content) && content.some((part: unknown) => isRecord(part) && part['type'] === 'input_image');
  });
}

/** `text.format` json_schema, or json_object (see the chat adapter for why JSON mode counts). */
function wantsJson(body: Body): boolean {
  const text = optionalObject(body, 'text');
  const format = text === null ? null : text['format'];
  return isRecord(format) && (format['type'] === 'json_schema' || format['type'] === 'json_object');
}

function previousResponse(body: Body): string | null {
  const id = optionalString(body, 'previous_response_id');
  if (id === '') throw invalidRequest("'previous_response_id' must be a non-empty string.", 'previous_response_id');
  return id;
}

/** `conversation`: a conversation id, or `{id}`; the provider prepends its items to the input. */
function conversation(body: Body): string | null {
  const value = body['conversation'];
  if (value === undefined || value === null) return null;
  const id = isRecord(value) ? value['id'] : value;
  if (typeof id !== 'string' || id === '') {
    throw invalidRequest(
      "'conversation' must be a conversation id or an object with a non-empty 'id'.",
      'conversation',
    );
  }
  return id;
}

/** Hosted tools and `max_tool_calls`, the limit across all of them that the provider enforces. */
function hostedToolUse(body: Body, tools: readonly unknown[]): HostedToolUse | null {
  const hosted = hostedToolsOf(tools);
  if (hosted.length === 0) return null;
  return { tools: hosted, maxCalls: optionalInteger(body, 'max_tool_calls', 0), capField: 'max_tool_calls' };
}

export function parseResponses(raw: unknown): ParsedRequest {
  const body = requireBody(raw);
  const model = requireModel(body);
  const previousResponseId = previousResponse(body);
  const conversationId = conversation(body);
  const items = requireInput(body, previousResponseId ?? conversationId);
  optionalString(body, 'instructions');
  const tools = optionalArray(body, 'tools') ?? [];
  const needs: RequestNeeds = { tools: tools.length > 0, jsonSchema: wantsJson(body), vision: hasImage(items) };
  return {
    endpoint: 'responses',
    body,
    model,
    stream: optionalBoolean(body, 'stream') ?? false,
    clientMaxOutputTokens: optionalInteger(body, 'max_output_tokens', 0),
    serviceTier: serviceTierField(body),
    outputMultiplier: 1,
    needs,
    clientWantsStreamUsage: false, // not applicable: Responses streams always carry usage
    previousResponseId,
    conversationId,
    hostedTools: hostedToolUse(body, tools),
    hasOutput: true,
    background: optionalBoolean(body, 'background') ?? false,
  };
}

export const responsesAdapter: EndpointAdapter = {
  name: 'responses',
  provider: 'openai',
  path: '/responses',
  parse: parseResponses,
  estimateInput: (request, price, tokenizer) => estimateResponsesInput(request.body, price, tokenizer),
  prepareUpstream: (request, changes) =>
    rewriteBody(request, changes, { capFields: ['max_output_tokens'], injectStreamUsage: false }),
  usageFromJson: (body) =>
    isRecord(body) ? withServedTier(usageFromResponses(body['usage']), body['service_tier']) : null,
  responseIdFromJson: (body) =>
    isRecord(body) && typeof body['id'] === 'string' && body['id'] !== '' ? body['id'] : null,
  responseStatusFromJson: (body) => (isRecord(body) && typeof body['status'] === 'string' ? body['status'] : null),
  hostedCallsFromJson: (body) => hostedCallsOf(isRecord(body) ? body['output'] : null),
  meterStream: () => createResponsesStreamMeter(),
  newestStepHash: (request) => responsesNewestStep(request.body['input'], request.previousResponseId !== null),
};
