// Input tokens of a /v1/responses request (before any previous_response_id chain or
// conversation, which the pipeline adds): instructions, input as a string or a list of items
// (messages, function calls and their outputs, reasoning, anything else as JSON),
// tools, tool choice and the text.format schema. Each item is framed like a chat
// message (3 tokens) and the reply is primed (3). Input the provider adds from its side
// (a stored prompt template, item references, files) is recorded as unmeasured. Pure.
import type { ModelPrice } from '../pricing/types.js';
import { REPLY_PRIMER_TOKENS, TOKENS_PER_MESSAGE, countFunctionCall } from './chat.js';
import { countContent, isRecord } from './content-parts.js';
import { applyEstimateFactor, createTextCounter, type TextCounter } from './text-counter.js';
import { countOutputFormat, countToolChoice, countToolDefinitions } from './tool-definitions.js';
import type { InputEstimate, Tokenizer } from './types.js';

export function countResponsesInputTokens(
  body: Readonly<Record<string, unknown>>,
  price: ModelPrice,
  tokenizer: Tokenizer,
): number {
  return estimateResponsesInput(body, price, tokenizer).inputTokens;
}

export function estimateResponsesInput(
  body: Readonly<Record<string, unknown>>,
  price: ModelPrice,
  tokenizer: Tokenizer,
): InputEstimate {
  const counter = createTextCounter(price, tokenizer);
  let tokens = REPLY_PRIMER_TOKENS;
  tokens += countInput(body['instructions'], 'developer', counter, price);
  tokens += countInput(body['input'], 'user', counter, price);
  tokens += countToolDefinitions(body['tools'], counter);
  tokens += countToolChoice(body['tool_choice'], counter);
  const text = body['text'];
  if (isRecord(text)) tokens += countOutputFormat(text['format'], counter);
  // A stored prompt template: only its variables are visible here; the template is the provider's.
  if (body['prompt'] !== undefined && body['prompt'] !== null) {
    counter.unmeasured('stored_prompt');
    tokens += counter.json(body['prompt']);
  }
  const inputTokens = applyEstimateFactor(tokens, price);
  return { inputTokens, contextTokens: inputTokens, extraOutputTokens: 0, unmeasured: [...counter.found] };
}

/** `instructions` or `input`: a string is one message with `role`; a list is items. */
function countInput(value: unknown, role: string, counter: TextCounter, price: ModelPrice): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'string') return TOKENS_PER_MESSAGE + counter.text(role) + counter.text(value);
  if (!Array.isArray(value)) return TOKENS_PER_MESSAGE + counter.json(value);
  let tokens = 0;
  for (const item of value) tokens += countItem(item, counter, price);
  return tokens;
}

export function countItem(item: unknown, counter: TextCounter, price: ModelPrice): number {
  if (!isRecord(item)) return TOKENS_PER_MESSAGE + counter.json(item);
  // An item without a type is a message when it has a role, else a reference to a stored item.
  const type = item['type'] ?? (item['role'] !== undefined ? 'message' : 'item_reference');
  switch (type) {
    case 'message':
      return TOKENS_PER_MESSAGE + counter.json(item['role'] ?? '') + countContent(item['content'], counter, price);
    case 'function_call':
      return TOKENS_PER_MESSAGE + countFunctionCall({ name: item['name'], arguments: item['arguments'] }, counter);
    case 'function_call_output':
    case 'custom_tool_call_output':
      // The call id stands in for the tool name the provider shows with the output.
      return TOKENS_PER_MESSAGE + counter.json(item['call_id'] ?? '') + countContent(item['output'], counter, price);
    case 'custom_tool_call':
      return TOKENS_PER_MESSAGE + countFunctionCall({ name: item['name'], arguments: item['input'] }, counter);
    case 'reasoning': {
      // Summary, any plain content, and the encrypted reasoning (its JSON: an over-count of what it carries).
      const { id: _id, type: _type, status: _status, ...reasoning } = item;
      return TOKENS_PER_MESSAGE + counter.json(reasoning);
    }
    case 'item_reference':
      // The provider inserts the stored item: its content is not in the request.
      counter.unmeasured('item_reference');
      return TOKENS_PER_MESSAGE + counter.json(item);
    default:
      // computer/web-search/file-search/MCP calls, vendor items: their JSON.
      return TOKENS_PER_MESSAGE + counter.json(item);
  }
}
