// Input tokens of an Anthropic POST /v1/messages request (docs/design.md §8.1; Anthropic API
// reference "Messages"): `system` (a string or text blocks), every block of every message (text,
// image, document, tool_use, tool_result, thinking, redacted_thinking, search_result, server tool
// blocks, anything else as its JSON) and `tools`, counted in o200k_base times the model's
// estimate_factor. Also finds the cache writes the request can cause (`cache_control` anywhere,
// `ttl: "1h"`), which set the input rate of its worst case. Pure.
import type { ModelPrice } from '../pricing/types.js';
import { REPLY_PRIMER_TOKENS, TOKENS_PER_MESSAGE } from './chat.js';
import { isRecord } from './content-parts.js';
import { applyEstimateFactor, createTextCounter, type TextCounter } from './text-counter.js';
import { TOKENS_PER_FUNCTION_DEFINITION, TOKENS_PER_TOOLS_BLOCK } from './tool-definitions.js';
import type { CacheWrites, InputEstimate, Tokenizer } from './types.js';

/**
 * One image, at most: Claude scales an image down until it fits about 1.15 megapixels (1568 px
 * on the long edge) and bills width x height / 750 tokens, about 1,600 (Anthropic "Vision").
 * Held with margin, before the estimate factor.
 */
export const CLAUDE_IMAGE_MAX_TOKENS = 1800;
/**
 * The system prompt Anthropic adds when a request offers tools (346 tokens for the Claude 4
 * models with tool_choice auto/none, 313 for any/tool; "Tool use: pricing"), held at the larger.
 */
export const TOOL_USE_SYSTEM_PROMPT_TOKENS = 350;

type Block = Readonly<Record<string, unknown>>;

interface Walk {
  readonly counter: TextCounter;
  cacheWrites: CacheWrites;
}

export function estimateMessagesInput(
  body: Readonly<Record<string, unknown>>,
  price: ModelPrice,
  tokenizer: Tokenizer,
): InputEstimate {
  const walk: Walk = { counter: createTextCounter(price, tokenizer), cacheWrites: 'none' };
  noteCacheControl(walk, body['cache_control']);
  let tokens = REPLY_PRIMER_TOKENS + countContent(body['system'], walk);
  const messages = body['messages'];
  if (Array.isArray(messages)) {
    for (const message of messages) tokens += countMessage(message, walk);
  } else if (messages !== undefined) {
    tokens += walk.counter.json(messages);
  }
  tokens += countTools(body['tools'], walk);
  if (body['tool_choice'] !== undefined && body['tool_choice'] !== null)
    tokens += walk.counter.json(body['tool_choice']);
  const inputTokens = applyEstimateFactor(tokens, price);
  return {
    inputTokens,
    contextTokens: inputTokens,
    extraOutputTokens: 0,
    unmeasured: [...walk.counter.found],
    cacheWrites: walk.cacheWrites,
  };
}

/** `cache_control: {type: "ephemeral", ttl?: "5m" | "1h"}` on a block, a tool or the request. */
function noteCacheControl(walk: Walk, control: unknown): void {
  if (control === undefined || control === null) return;
  if (isRecord(control) && control['ttl'] === '1h') walk.cacheWrites = '1h';
  else if (walk.cacheWrites === 'none') walk.cacheWrites = '5m';
}

function countMessage(message: unknown, walk: Walk): number {
  if (!isRecord(message)) return TOKENS_PER_MESSAGE + walk.counter.json(message);
  let tokens = TOKENS_PER_MESSAGE;
  for (const [key, value] of Object.entries(message)) {
    if (value === null || value === undefined) continue;
    tokens += key === 'content' ? countContent(value, walk) : walk.counter.json(value);
  }
  return tokens;
}

/** A `content` (or `system`, or a tool_result's content): a string, or a list of blocks. */
function countContent(content: unknown, walk: Walk): number {
  if (content === null || content === undefined) return 0;
  if (typeof content === 'string') return walk.counter.text(content);
  if (!Array.isArray(content)) return walk.counter.json(content);
  let tokens = 0;
  for (const block of content) tokens += countBlock(block, walk);
  return tokens;
}

function countBlock(block: unknown, walk: Walk): number {
  const { counter } = walk;
  if (typeof block === 'string') return counter.text(block);
  if (!isRecord(block)) return counter.json(block);
  noteCacheControl(walk, block['cache_control']);
  switch (block['type']) {
    case 'text':
      return textOrJson(block, 'text', counter) + (block['citations'] ? counter.json(block['citations']) : 0);
    case 'thinking':
      // The signature is opaque and not billed as text; the thinking is (when the turn is kept).
      return textOrJson(block, 'thinking', counter);
    case 'redacted_thinking':
      // Encrypted thinking: its text bounds the tokens it stands for.
      return counter.json(block['data'] ?? '');
    case 'image':
      return CLAUDE_IMAGE_MAX_TOKENS;
    case 'document':
      return countDocument(block, walk);
    case 'tool_use':
    case 'server_tool_use':
      // The id is not shown to the model; the name and the input are.
      return counter.json(block['name'] ?? '') + counter.json(block['input'] ?? {});
    case 'tool_result':
      return counter.json(block['is_error'] ?? '') + countContent(block['content'], walk);
    case 'search_result': {
      const { content, cache_control: _cache, type: _type, ...rest } = block;
      return counter.json(rest) + countContent(content, walk);
    }
    default: {
      // web_search_tool_result, web_fetch_tool_result, container_upload, and blocks runcap does
      // not know: their JSON, an over-count of what the model reads.
      const { cache_control: _cache, ...rest } = block;
      return counter.json(rest);
    }
  }
}

function textOrJson(block: Block, field: string, counter: TextCounter): number {
  const value = block[field];
  return typeof value === 'string' ? counter.text(value) : counter.json(block);
}

/**
 * `document`: plain text and block content are counted; a PDF (inline, by URL or by file id) is
 * rendered by the provider, text and an image of every page, which no byte count bounds: it is
 * input the provider adds from its side (docs/bounds.md), held at the context window.
 */
function countDocument(block: Block, walk: Walk): number {
  const { counter } = walk;
  const source = block['source'];
  let tokens = counter.json(block['title'] ?? '') + counter.json(block['context'] ?? '');
  if (isRecord(source) && source['type'] === 'text' && typeof source['data'] === 'string') {
    return tokens + counter.text(source['data']);
  }
  if (isRecord(source) && source['type'] === 'content') return tokens + countContent(source['content'], walk);
  counter.unmeasured('file');
  if (isRecord(source)) {
    const { data: _data, ...rest } = source;
    tokens += counter.json(rest);
  }
  return tokens;
}

/** `tools`: custom tools (name, description, input_schema) and server tools, plus the tool-use system prompt. */
function countTools(tools: unknown, walk: Walk): number {
  if (tools === undefined || tools === null) return 0;
  if (!Array.isArray(tools)) return walk.counter.json(tools) + TOKENS_PER_TOOLS_BLOCK + TOOL_USE_SYSTEM_PROMPT_TOKENS;
  if (tools.length === 0) return 0;
  let tokens = TOKENS_PER_TOOLS_BLOCK + TOOL_USE_SYSTEM_PROMPT_TOKENS;
  for (const tool of tools) {
    if (!isRecord(tool)) {
      tokens += walk.counter.json(tool) + TOKENS_PER_FUNCTION_DEFINITION;
      continue;
    }
    noteCacheControl(walk, tool['cache_control']);
    const { cache_control: _cache, ...definition } = tool;
    tokens += walk.counter.json(definition) + TOKENS_PER_FUNCTION_DEFINITION;
  }
  return tokens;
}
