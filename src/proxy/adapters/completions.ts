// The legacy completions adapter (POST /v1/completions, OpenAI API reference "Create
// completion"): validates what metering needs, rewrites model / max_tokens / stream usage,
// reads usage; streams are metered like chat (usage chunk injected and hidden the same way).
import type { EndpointAdapter, ParsedRequest } from '../adapter.js';
import { estimateCompletionsInput, promptCount } from '../../estimate/completions.js';
import { usageFromChat } from '../usage.js';
import {
  isRecord,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalString,
  requireBody,
  requireModel,
  requireTextOrTokens,
  serviceTierField,
} from './body-fields.js';
import { createChunkStreamMeter, pushText, type ChoiceTextReader } from './chunk-stream-meter.js';
import { rewriteBody } from './upstream-body.js';

/** OpenAI's documented default for `max_tokens` on this endpoint. */
export const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

export function parseCompletions(raw: unknown): ParsedRequest {
  const body = requireBody(raw);
  const model = requireModel(body);
  requireTextOrTokens(body, 'prompt');
  optionalString(body, 'suffix');
  optionalBoolean(body, 'echo');
  const stream = optionalBoolean(body, 'stream') ?? false;
  const n = optionalInteger(body, 'n', 1) ?? 1;
  // best_of candidates are generated (and billed) server-side; n of them are returned.
  const bestOf = optionalInteger(body, 'best_of', 1) ?? n;
  // A batch `prompt` (a list of strings or of token-id lists): every prompt generates its own.
  const prompts = promptCount(body['prompt']);
  const streamOptions = optionalObject(body, 'stream_options');
  return {
    endpoint: 'completions',
    body,
    model,
    stream,
    clientMaxOutputTokens: optionalInteger(body, 'max_tokens', 0),
    defaultMaxOutputTokens: COMPLETIONS_DEFAULT_MAX_TOKENS,
    serviceTier: serviceTierField(body),
    outputMultiplier: prompts * Math.max(n, bestOf),
    needs: { tools: false, jsonSchema: false, vision: false },
    clientWantsStreamUsage: stream && streamOptions !== null && streamOptions['include_usage'] === true,
    previousResponseId: null,
    hasOutput: true,
  };
}

/**
 * Generated text of a completions chunk choice. With `echo` the first chunk repeats the
 * prompt; counting it makes a cut-stream estimate err high, never low.
 */
export const readCompletionChoiceText: ChoiceTextReader = (choice, out) => pushText(out, choice['text']);

export const completionsAdapter: EndpointAdapter = {
  name: 'completions',
  provider: 'openai',
  path: '/completions',
  parse: parseCompletions,
  estimateInput: (request, price, tokenizer) => estimateCompletionsInput(request.body, price, tokenizer),
  prepareUpstream: (request, changes) =>
    rewriteBody(request, changes, { capFields: ['max_tokens'], injectStreamUsage: true }),
  usageFromJson: (body) => (isRecord(body) ? usageFromChat(body['usage']) : null),
  meterStream: (request) =>
    createChunkStreamMeter({
      hideUsageChunk: !request.clientWantsStreamUsage,
      readChoiceText: readCompletionChoiceText,
    }),
};
