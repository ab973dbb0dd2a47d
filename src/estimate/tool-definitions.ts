// Counts what a request adds besides its messages: tool/function definitions, tool
// choice and structured-output schemas, for both the chat and Responses APIs. The
// provider renders definitions in its own compact format; counting their JSON
// over-counts slightly (names, quotes, braces), which is the safe side. Pure.
import { isRecord } from './content-parts.js';
import type { TextCounter } from './text-counter.js';

/**
 * Per definition and per tools block. The cookbook's reverse-engineered rule for
 * gpt-4o/gpt-4/3.5 adds 7 (o200k) or 10 (cl100k) tokens a function and 12 once;
 * we use the larger on top of the JSON.
 */
export const TOKENS_PER_FUNCTION_DEFINITION = 10;
export const TOKENS_PER_TOOLS_BLOCK = 12;

/**
 * `tools` (chat: `{type:"function", function:{...}}`; Responses: `{type:"function", name, ...}`
 * or built-in tools) or legacy `functions`. Function definitions count as the JSON of
 * the definition, other tools as their whole JSON.
 */
export function countToolDefinitions(tools: unknown, counter: TextCounter): number {
  if (tools === undefined || tools === null) return 0;
  if (!Array.isArray(tools)) return counter.json(tools) + TOKENS_PER_TOOLS_BLOCK;
  if (tools.length === 0) return 0;
  let tokens = TOKENS_PER_TOOLS_BLOCK;
  for (const tool of tools) {
    const definition = isRecord(tool) && isRecord(tool['function']) ? tool['function'] : tool;
    tokens += counter.json(definition) + TOKENS_PER_FUNCTION_DEFINITION;
  }
  return tokens;
}

/** `tool_choice` / legacy `function_call`: "auto" | "required" | "none" or an object naming a tool. */
export function countToolChoice(choice: unknown, counter: TextCounter): number {
  if (choice === undefined || choice === null) return 0;
  return counter.json(choice);
}

/** Chat `response_format` or Responses `text.format`: a JSON schema counts in full; plain text adds nothing. */
export function countOutputFormat(format: unknown, counter: TextCounter): number {
  if (format === undefined || format === null) return 0;
  if (isRecord(format) && format['type'] === 'text') return 0;
  return counter.json(format);
}
