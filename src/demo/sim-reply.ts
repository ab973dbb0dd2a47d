// What the demo's simulated provider answers to one chat request: a deterministic reply
// (a tool call when tools are offered, else a short summary) and its usage, with prompt and
// completion tokens counted by gpt-tokenizer (o200k_base, counts equal to tiktoken) the way OpenAI bills them. Pure.
import { encodeCount } from '../estimate/encoders.js';

export interface SimToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

export interface SimUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly prompt_tokens_details: { readonly cached_tokens: number; readonly audio_tokens: number };
  readonly completion_tokens_details: {
    readonly reasoning_tokens: number;
    readonly audio_tokens: number;
    readonly accepted_prediction_tokens: number;
    readonly rejected_prediction_tokens: number;
  };
}

export interface ChatReply {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly content: string | null;
  readonly toolCall: SimToolCall | null;
  readonly finishReason: 'stop' | 'tool_calls' | 'length';
  readonly usage: SimUsage;
}

type Json = Record<string, unknown>;

/** Files of the (imaginary) repository the demo agent is auditing. */
export const SIM_FILES = [
  'src/ledger/sqlite-ledger.ts',
  'src/ledger/redis-lua-reserve.ts',
  'src/pipeline/proxy-call.ts',
  'src/pipeline/settle.ts',
  'src/estimate/chat.ts',
  'src/policy/alternatives.ts',
  'src/http/problem.ts',
  'src/proxy/upstream.ts',
  'src/pricing/load.ts',
  'src/money/micros.ts',
  'src/pipeline/sweeper.ts',
  'src/config/resolve.ts',
] as const;

const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMER_TOKENS = 3;
const TOKENS_PER_TOOL_CALL = 3;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const MEMO_MAX_ENTRIES = 10_000;

/** Counts o200k_base tokens of a text, memoized by content: an agent resends the same messages every step. */
export type TokenCount = (text: string) => number;

export function createTokenCount(): TokenCount {
  const memo = new Map<string, number>();
  return (text) => {
    let tokens = memo.get(text);
    if (tokens === undefined) {
      if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
      tokens = encodeCount(text, 'o200k_base');
      memo.set(text, tokens);
    }
    return tokens;
  };
}

/** FNV-1a: a small stable hash so the same request always gets the same reply. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function planChatReply(body: Json, count: TokenCount, nowMs: number = Date.now()): ChatReply {
  const messages = Array.isArray(body['messages']) ? body['messages'] : [];
  const model = typeof body['model'] === 'string' ? body['model'] : 'unknown';
  const promptTokens = countPrompt(messages, body['tools'], count);
  const last = messages[messages.length - 1];
  const lastText = isRecord(last) && typeof last['content'] === 'string' ? last['content'] : '';
  const hash = stableHash(`${model}\n${messages.length}\n${lastText}`);
  const id = `chatcmpl-sim${hash.toString(16).padStart(8, '0')}${(promptTokens % 4096).toString(16)}`;
  const offersTools = Array.isArray(body['tools']) && body['tools'].length > 0 && body['tool_choice'] !== 'none';

  let content: string;
  let toolCall: SimToolCall | null = null;
  if (offersTools) {
    const path = SIM_FILES[hash % SIM_FILES.length] ?? SIM_FILES[0];
    content = `Next I will read ${path}: it should show where the budget is checked before the provider is called.`;
    toolCall = {
      id: `call_${hash.toString(36)}`,
      type: 'function',
      function: { name: 'read_file', arguments: JSON.stringify({ path }) },
    };
  } else {
    content =
      'Summary: every provider call reserves its worst case before it is sent, and settles exactly once afterwards.';
  }
  let completionTokens =
    count(content) +
    (toolCall ? count(toolCall.function.name) + count(toolCall.function.arguments) + TOKENS_PER_TOOL_CALL : 0);
  const cap = outputCap(body);
  const truncated = cap !== null && completionTokens > cap;
  if (truncated) completionTokens = cap;
  return {
    id,
    created: Math.floor(nowMs / 1000),
    model,
    content,
    toolCall: truncated ? null : toolCall,
    finishReason: truncated ? 'length' : toolCall ? 'tool_calls' : 'stop',
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
  };
}

function outputCap(body: Json): number | null {
  for (const field of ['max_completion_tokens', 'max_tokens']) {
    const value = body[field];
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  }
  return null;
}

/** 3 tokens a message, its string fields and tool calls, 3 to prime the reply, and the tool definitions. */
function countPrompt(messages: readonly unknown[], tools: unknown, count: TokenCount): number {
  let tokens = REPLY_PRIMER_TOKENS;
  for (const message of messages) {
    tokens += TOKENS_PER_MESSAGE;
    if (!isRecord(message)) continue;
    for (const [key, value] of Object.entries(message)) {
      if (typeof value === 'string') tokens += count(value);
      else if (key === 'content' && Array.isArray(value)) {
        for (const part of value) if (isRecord(part) && typeof part['text'] === 'string') tokens += count(part['text']);
      } else if (key === 'tool_calls' && Array.isArray(value)) {
        for (const call of value) {
          const fn = isRecord(call) ? call['function'] : undefined;
          if (isRecord(fn))
            tokens += TOKENS_PER_TOOL_CALL + count(String(fn['name'] ?? '')) + count(String(fn['arguments'] ?? ''));
        }
      }
    }
  }
  if (Array.isArray(tools))
    for (const tool of tools) tokens += count(JSON.stringify(isRecord(tool) ? (tool['function'] ?? tool) : tool));
  return tokens;
}
