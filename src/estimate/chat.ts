// Input tokens of a /v1/chat/completions request: OpenAI's per-message rule (the
// cookbook "How to count tokens with tiktoken" rule for gpt-3.5/gpt-4/gpt-4o: 3 tokens
// a message, every string field's tokens, +1 for a name, 3 to prime the reply),
// plus tool calls, tool definitions, tool choice and response schemas; and the tokens of a
// `prediction` (predicted outputs), which the provider bills as output when it rejects them.
// Every text goes through the tokenizer's content cache, so a resent history costs lookups,
// not encoding. Tolerates shapes it does not know (counts their JSON). Pure.
import type { ModelPrice } from '../pricing/types.js';
import { countContent, isRecord } from './content-parts.js';
import { applyEstimateFactor, createTextCounter, type TextCounter } from './text-counter.js';
import { countOutputFormat, countToolChoice, countToolDefinitions } from './tool-definitions.js';
import type { InputEstimate, Tokenizer } from './types.js';

export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
/** Every reply is primed with <|start|>assistant<|message|>. */
export const REPLY_PRIMER_TOKENS = 3;
/** Framing of one tool call beyond its name and arguments (not published; generous). */
export const TOKENS_PER_TOOL_CALL = 8;

export function countChatInputTokens(
  body: Readonly<Record<string, unknown>>,
  price: ModelPrice,
  tokenizer: Tokenizer,
): number {
  return estimateChatInput(body, price, tokenizer).inputTokens;
}

export function estimateChatInput(
  body: Readonly<Record<string, unknown>>,
  price: ModelPrice,
  tokenizer: Tokenizer,
): InputEstimate {
  const counter = createTextCounter(price, tokenizer);
  let tokens = REPLY_PRIMER_TOKENS;
  const messages = body['messages'];
  if (Array.isArray(messages)) {
    for (const message of messages) tokens += countMessage(message, counter, price);
  } else if (messages !== undefined) {
    tokens += counter.json(messages);
  }
  tokens += countToolDefinitions(body['tools'], counter);
  tokens += countToolDefinitions(body['functions'], counter);
  tokens += countToolChoice(body['tool_choice'], counter);
  tokens += countToolChoice(body['function_call'], counter);
  tokens += countOutputFormat(body['response_format'], counter);
  const inputTokens = applyEstimateFactor(tokens, price);
  return {
    inputTokens,
    contextTokens: inputTokens,
    extraOutputTokens: countPrediction(body, counter, price),
    unmeasured: [...counter.found],
  };
}

/**
 * Predicted outputs (`prediction: {type: "content", content}`): every prediction token the
 * completion does not use is billed as output ("rejected_prediction_tokens"), for each choice.
 */
function countPrediction(body: Readonly<Record<string, unknown>>, counter: TextCounter, price: ModelPrice): number {
  const prediction = body['prediction'];
  if (prediction === undefined || prediction === null) return 0;
  const content = isRecord(prediction) ? prediction['content'] : prediction;
  const n = typeof body['n'] === 'number' && Number.isSafeInteger(body['n']) && body['n'] > 1 ? body['n'] : 1;
  return applyEstimateFactor(countContent(content, counter, price), price) * n;
}

export function countMessage(message: unknown, counter: TextCounter, price: ModelPrice): number {
  if (!isRecord(message)) return TOKENS_PER_MESSAGE + counter.json(message);
  let tokens = TOKENS_PER_MESSAGE;
  for (const [key, value] of Object.entries(message)) {
    if (value === null || value === undefined) continue;
    switch (key) {
      case 'content':
        tokens += countContent(value, counter, price);
        break;
      case 'name':
        tokens += counter.json(value) + TOKENS_PER_NAME;
        break;
      case 'tool_calls':
        tokens += Array.isArray(value) ? sum(value, (call) => countToolCall(call, counter)) : counter.json(value);
        break;
      case 'function_call':
        tokens += countFunctionCall(value, counter);
        break;
      default:
        // role, tool_call_id, refusal, audio {id}, vendor fields: the string or its JSON.
        tokens += counter.json(value);
    }
  }
  return tokens;
}

/** An assistant tool call `{id, type:"function", function:{name, arguments}}`; the id is not shown to the model. */
function countToolCall(call: unknown, counter: TextCounter): number {
  if (isRecord(call) && isRecord(call['function'])) return countFunctionCall(call['function'], counter);
  return counter.json(call) + TOKENS_PER_TOOL_CALL;
}

/** `{name, arguments}` where arguments is a JSON string (an object is tolerated). */
export function countFunctionCall(call: unknown, counter: TextCounter): number {
  if (!isRecord(call)) return counter.json(call) + TOKENS_PER_TOOL_CALL;
  const { name, arguments: args, ...rest } = call;
  let tokens = TOKENS_PER_TOOL_CALL;
  if (name !== undefined) tokens += counter.json(name);
  if (args !== undefined) tokens += counter.json(args);
  if (Object.keys(rest).length > 0) tokens += counter.json(rest);
  return tokens;
}

function sum<T>(items: readonly T[], count: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += count(item);
  return total;
}
