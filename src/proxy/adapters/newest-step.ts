// The newest step of an agent loop, as the loop brake compares it (docs/design.md §12), hashed:
// chat, the last assistant turn with its tool calls and everything after it (the tool results);
// Responses, the newest input items (from the last block of model output on; all of them when
// the request continues a previous response, whose input holds only what is new); Anthropic
// Messages, the last assistant turn and the tool_result blocks after it. Each walks back from the
// end only as far as the step reaches. Left out, so that a repeated action with a repeated result
// hashes the same: the ids a provider mints per call (tool call ids, item ids) and the model's
// private reasoning (reasoning items, thinking blocks, which differ on every call), and Anthropic
// cache_control markers (clients move them to the newest turn). Pure.
import { createHash } from 'node:crypto';
import { isRecord } from './body-fields.js';

/** Model output a Responses request may carry back as input (everything but the caller's own items). */
const RESPONSES_MODEL_OUTPUT: ReadonlySet<string> = new Set([
  'function_call',
  'custom_tool_call',
  'reasoning',
  'web_search_call',
  'file_search_call',
  'computer_call',
  'code_interpreter_call',
  'image_generation_call',
  'local_shell_call',
  'mcp_call',
  'mcp_list_tools',
  'mcp_approval_request',
]);

/** 128 bits of sha256 over the step's JSON: collisions are not a practical concern. */
export function hashStep(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

function without(record: Readonly<Record<string, unknown>>, names: readonly string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) if (!names.includes(name)) copy[name] = value;
  return copy;
}

function lastIndex(items: readonly unknown[], matches: (item: Record<string, unknown>) => boolean): number {
  for (let index = items.length - 1; index >= 0; index -= 1) {
    const item = items[index];
    if (isRecord(item) && matches(item)) return index;
  }
  return -1;
}

/** Chat completions `messages`: null before the first assistant turn. */
export function chatNewestStep(messages: unknown): string | null {
  if (!Array.isArray(messages)) return null;
  const start = lastIndex(messages, (message) => message['role'] === 'assistant');
  if (start < 0) return null;
  return hashStep(
    messages.slice(start).map((message: unknown) => {
      if (!isRecord(message)) return message;
      const calls = message['tool_calls'];
      const kept = without(message, ['tool_call_id', 'tool_calls', 'reasoning_content', 'reasoning']);
      if (!Array.isArray(calls)) return kept;
      return { ...kept, tool_calls: calls.map((call: unknown) => (isRecord(call) ? without(call, ['id']) : call)) };
    }),
  );
}

function isModelOutput(item: Record<string, unknown>): boolean {
  const type = item['type'];
  if (typeof type === 'string' && RESPONSES_MODEL_OUTPUT.has(type)) return true;
  return (type === 'message' || type === undefined) && item['role'] === 'assistant';
}

/** Responses `input`; `continuesPrevious`: the request names a previous_response_id. */
export function responsesNewestStep(input: unknown, continuesPrevious: boolean): string | null {
  if (typeof input === 'string') return continuesPrevious ? hashStep([input]) : null;
  if (!Array.isArray(input)) return null;
  let start = lastIndex(input, isModelOutput);
  if (start < 0) {
    if (!continuesPrevious || input.length === 0) return null;
    start = 0;
  } else {
    while (start > 0 && isRecord(input[start - 1]) && isModelOutput(input[start - 1] as Record<string, unknown>)) {
      start -= 1;
    }
  }
  const step = input
    .slice(start)
    .filter((item: unknown) => !(isRecord(item) && item['type'] === 'reasoning'))
    .map((item: unknown) => (isRecord(item) ? without(item, ['id', 'call_id']) : item));
  return hashStep(step);
}

/**
 * Anthropic Messages `messages` (the extension point for POST /v1/messages): the last assistant
 * turn (its text and tool_use blocks) and the user turns after it (their tool_result blocks).
 */
export function messagesNewestStep(messages: unknown): string | null {
  if (!Array.isArray(messages)) return null;
  const start = lastIndex(messages, (message) => message['role'] === 'assistant');
  if (start < 0) return null;
  return hashStep(
    messages.slice(start).map((message: unknown) => {
      if (!isRecord(message) || !Array.isArray(message['content'])) return message;
      const blocks = (message['content'] as unknown[])
        .filter(
          (block) => !(isRecord(block) && (block['type'] === 'thinking' || block['type'] === 'redacted_thinking')),
        )
        .map((block) => (isRecord(block) ? without(block, ['id', 'tool_use_id', 'cache_control']) : block));
      return { ...message, content: blocks };
    }),
  );
}
