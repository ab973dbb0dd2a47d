// The Anthropic side of the fake upstream (fake-upstream.ts): POST /v1/messages (JSON, and the
// event stream as the API sends it: message_start, content_block_start / ping / content_block_delta
// / content_block_stop per block, message_delta with the cumulative usage, message_stop; `error`
// events in mode `stream_error`) and POST /v1/messages/count_tokens. Bills like the real API:
// `input_tokens` is the uncached part, a `cache_control` prefix is written on first sight (5-minute
// or 1-hour by its ttl) and read afterwards, thinking counts in output_tokens. Test-only.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Json, ServedUsage, ToolCall } from './fake-openai-bodies.js';

/** What the fake's settings say about one Messages call (a subset of fake-upstream's Settings). */
export interface AnthropicSettings {
  readonly mode: string;
  readonly chunks: number;
  readonly outputTokens: number;
  readonly promptTokens: number | ((body: Json) => number);
  readonly reasoningTokens: number;
  readonly failAfterChunks: number;
  readonly slowChunkDelayMs: number;
  readonly toolCall: string | null;
  readonly toolArguments: string;
  /** A scripted model: the tool to call for this request (null: answer in text), over toolCall. */
  readonly toolScript: ((body: Json) => ToolCall | null) | null;
  readonly responseHeaders: Readonly<Record<string, string | readonly string[]>>;
}

/** The prompt cache of the fake provider: prefix hash -> ttl. Shared by every call to one fake. */
export type PromptCache = Map<string, '5m' | '1h'>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const WORDS = [' Hello', ' from', ' the', ' fake', ' Claude', ',', ' one', ' token', ' per', ' word', '.'];
const word = (i: number): string => (i === 0 ? 'Hello' : (WORDS[i % WORDS.length] ?? ''));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** The fake's token count of anything: a token per 4 characters of its JSON. */
export const fakeTokens = (value: unknown): number => Math.ceil(JSON.stringify(value).length / 4);
/** Tokens of a tool_use block the fake writes. */
export const FAKE_TOOL_USE_TOKENS = 12;

export function anthropicError(type: string, message: string): Json {
  return { type: 'error', error: { type, message }, request_id: null };
}

/** The blocks of the request in the order the API caches them: tools, system, messages. */
function cacheOrder(body: Json): unknown[] {
  const blocks: unknown[] = [];
  if (Array.isArray(body['tools'])) blocks.push(...(body['tools'] as unknown[]));
  const system = body['system'];
  if (Array.isArray(system)) blocks.push(...(system as unknown[]));
  else if (typeof system === 'string') blocks.push(system);
  for (const message of Array.isArray(body['messages']) ? (body['messages'] as unknown[]) : []) {
    const content = isRecord(message) ? message['content'] : null;
    if (Array.isArray(content)) blocks.push(...(content as unknown[]));
    else blocks.push(content);
  }
  return blocks;
}

/** The cached prefix (through the last block with cache_control): its tokens, ttl, and whether it was cached. */
function cacheUse(body: Json, cache: PromptCache): { tokens: number; ttl: '5m' | '1h'; hit: boolean } | null {
  const blocks = cacheOrder(body);
  let last = -1;
  blocks.forEach((block, i) => {
    if (isRecord(block) && block['cache_control']) last = i;
  });
  if (last < 0) return null;
  const marker = (blocks[last] as Json)['cache_control'];
  const ttl = isRecord(marker) && marker['ttl'] === '1h' ? '1h' : '5m';
  const prefix = blocks.slice(0, last + 1);
  const key = createHash('sha256')
    .update(JSON.stringify([body['model'], prefix]))
    .digest('hex');
  const hit = cache.has(key);
  if (!hit) cache.set(key, ttl);
  return { tokens: fakeTokens(prefix), ttl, hit };
}

interface MessagePlan {
  readonly id: string;
  readonly model: string;
  readonly thinking: string[];
  readonly text: string[];
  readonly toolUse: { readonly id: string; readonly name: string; readonly input: unknown } | null;
  readonly usage: Json;
  readonly served: ServedUsage;
  readonly outputTokens: number;
  readonly stopReason: string;
}

function lastHasToolResult(body: Json): boolean {
  const messages = Array.isArray(body['messages']) ? (body['messages'] as unknown[]) : [];
  const last = messages[messages.length - 1];
  const content = isRecord(last) ? last['content'] : null;
  return Array.isArray(content) && content.some((block) => isRecord(block) && block['type'] === 'tool_result');
}

function pieces(words: number, count: number, offset = 0): string[] {
  const n = Math.min(Math.max(1, count), words);
  return Array.from({ length: n }, (_, p) => {
    const from = Math.floor((p * words) / n);
    const to = Math.floor(((p + 1) * words) / n);
    return Array.from({ length: to - from }, (_, k) => word(offset + from + k)).join('');
  });
}

export function planMessage(body: Json, s: AnthropicSettings, seq: number, cache: PromptCache): MessagePlan {
  const cap = typeof body['max_tokens'] === 'number' ? body['max_tokens'] : Number.POSITIVE_INFINITY;
  const thinkingOn = isRecord(body['thinking']) && body['thinking']['type'] === 'enabled';
  const thinkingTokens = thinkingOn ? Math.min(s.reasoningTokens > 0 ? s.reasoningTokens : 8, cap) : 0;
  const scripted = s.toolScript === null ? undefined : s.toolScript(body);
  const wantsTool =
    scripted !== undefined
      ? scripted !== null
      : s.toolCall !== null && Array.isArray(body['tools']) && body['tools'].length > 0 && !lastHasToolResult(body);
  const toolTokens = wantsTool ? Math.min(FAKE_TOOL_USE_TOKENS, cap - thinkingTokens) : 0;
  const visible = wantsTool ? 0 : Math.max(0, Math.min(s.outputTokens, cap - thinkingTokens));
  const uncached = typeof s.promptTokens === 'function' ? s.promptTokens(body) : s.promptTokens;
  const cached = cacheUse(body, cache);
  const write5m = cached && !cached.hit && cached.ttl === '5m' ? cached.tokens : 0;
  const write1h = cached && !cached.hit && cached.ttl === '1h' ? cached.tokens : 0;
  const read = cached?.hit ? cached.tokens : 0;
  const outputTokens = thinkingTokens + toolTokens + visible;
  // A web search tool offered with max_uses: the fake searches once (billed per search).
  const searches = (Array.isArray(body['tools']) ? (body['tools'] as unknown[]) : []).some(
    (tool) => isRecord(tool) && String(tool['type']).startsWith('web_search_') && Number(tool['max_uses']) > 0,
  )
    ? 1
    : 0;
  return {
    id: `msg_fake${String(seq).padStart(6, '0')}`,
    model: typeof body['model'] === 'string' ? body['model'] : 'unknown',
    thinking: thinkingOn ? pieces(thinkingTokens, 2, 3) : [],
    text: visible > 0 ? pieces(visible, s.chunks) : [],
    toolUse: wantsTool
      ? {
          id: `toolu_fake${String(seq).padStart(6, '0')}`,
          name: scripted?.name ?? s.toolCall ?? '',
          input: JSON.parse(scripted?.arguments ?? s.toolArguments),
        }
      : null,
    usage: {
      input_tokens: uncached,
      cache_creation_input_tokens: write5m + write1h,
      cache_read_input_tokens: read,
      cache_creation: { ephemeral_5m_input_tokens: write5m, ephemeral_1h_input_tokens: write1h },
      output_tokens: outputTokens,
      ...(searches > 0 ? { server_tool_use: { web_search_requests: searches } } : {}),
      service_tier: 'standard',
    },
    served: {
      inputTokens: uncached + write5m + write1h + read,
      cachedTokens: read,
      cacheWrite5mTokens: write5m,
      cacheWrite1hTokens: write1h,
      outputTokens,
    },
    outputTokens,
    stopReason: wantsTool ? 'tool_use' : thinkingTokens + visible >= cap ? 'max_tokens' : 'end_turn',
  };
}

function contentBlocks(plan: MessagePlan): Json[] {
  const blocks: Json[] = [];
  if (plan.thinking.length > 0) blocks.push({ type: 'thinking', thinking: plan.thinking.join(''), signature: 'c2ln' });
  if (plan.text.length > 0) blocks.push({ type: 'text', text: plan.text.join('') });
  if (plan.toolUse) blocks.push({ type: 'tool_use', ...plan.toolUse });
  return blocks;
}

export function messageObject(plan: MessagePlan): Json {
  return {
    id: plan.id,
    type: 'message',
    role: 'assistant',
    model: plan.model,
    content: contentBlocks(plan),
    stop_reason: plan.stopReason,
    stop_sequence: null,
    usage: plan.usage,
  };
}

/** The event stream of a message, each event with whether it carries generated content. */
export function messageEvents(plan: MessagePlan): { text: string; content: boolean }[] {
  const events: { type: string; data: Json; content: boolean }[] = [];
  const push = (data: Json, content = false): void => {
    events.push({ type: String(data['type']), data, content });
  };
  push({
    type: 'message_start',
    message: {
      ...messageObject(plan),
      content: [],
      stop_reason: null,
      usage: { ...plan.usage, output_tokens: 1 },
    },
  });
  let index = 0;
  if (plan.thinking.length > 0) {
    push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    for (const piece of plan.thinking)
      push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } }, true);
    push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: 'c2ln' } });
    push({ type: 'content_block_stop', index });
    index += 1;
  }
  if (plan.text.length > 0) {
    push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    push({ type: 'ping' });
    for (const piece of plan.text)
      push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }, true);
    push({ type: 'content_block_stop', index });
    index += 1;
  }
  if (plan.toolUse) {
    push({
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: plan.toolUse.id, name: plan.toolUse.name, input: {} },
    });
    const json = JSON.stringify(plan.toolUse.input);
    const half = Math.floor(json.length / 2);
    for (const part of [json.slice(0, half), json.slice(half)])
      push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } }, true);
    push({ type: 'content_block_stop', index });
  }
  push({
    type: 'message_delta',
    delta: { stop_reason: plan.stopReason, stop_sequence: null },
    usage: {
      input_tokens: plan.usage['input_tokens'],
      cache_creation_input_tokens: plan.usage['cache_creation_input_tokens'],
      cache_read_input_tokens: plan.usage['cache_read_input_tokens'],
      output_tokens: plan.outputTokens,
      ...(plan.usage['server_tool_use'] ? { server_tool_use: plan.usage['server_tool_use'] } : {}),
    },
  });
  push({ type: 'message_stop' });
  return events.map((e) => ({ text: `event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`, content: e.content }));
}

/**
 * Answers one Messages call (after key and mode checks done by the caller): JSON, or a stream
 * with the `reset` / `stall` / `slow` / `stream_error` failure modes.
 */
export async function answerMessages(
  res: ServerResponse,
  requestId: string,
  body: Json,
  s: AnthropicSettings,
  plan: MessagePlan,
  reset: () => void,
): Promise<void> {
  const headers = { ...s.responseHeaders, 'request-id': requestId };
  if (body['stream'] !== true) {
    if (s.mode === 'reset') return reset();
    if (s.mode === 'stall') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.flushHeaders();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': 'application/json' });
    res.end(JSON.stringify(messageObject(plan)));
    return;
  }
  const events = messageEvents(plan);
  const contentAt = events.flatMap((e, i) => (e.content ? [i] : []));
  const failAt = (contentAt[Math.min(s.failAfterChunks, contentAt.length) - 1] ?? -1) + 1;
  res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  for (const [i, event] of events.entries()) {
    if (i === failAt && s.mode === 'reset') return reset();
    if (i === failAt && s.mode === 'stall') return;
    if (i === failAt && s.mode === 'stream_error') {
      const error = anthropicError('overloaded_error', 'Overloaded');
      await new Promise<void>((resolve) =>
        res.write(`event: error\ndata: ${JSON.stringify(error)}\n\n`, () => resolve()),
      );
      res.end();
      return;
    }
    if (s.mode === 'slow') await sleep(s.slowChunkDelayMs);
    if (res.destroyed) return;
    await new Promise<void>((resolve) => res.write(event.text, () => resolve()));
  }
  res.end();
}

/** The Anthropic paths the fake serves. */
export function isAnthropicPath(path: string): boolean {
  return path === '/v1/messages' || path === '/v1/messages/count_tokens';
}

export interface AnthropicExchange {
  readonly res: ServerResponse;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
  readonly settings: AnthropicSettings;
  readonly rejectKeys: RegExp | null;
  readonly requestId: string;
  readonly seq: number;
  readonly cache: PromptCache;
  readonly reset: () => void;
  /** Told the usage a planned message reports (the record's `served`). */
  readonly served: (usage: ServedUsage) => void;
}

/** One call to an Anthropic path of the fake: key check, failure modes, then the answer. */
export async function serveAnthropic(x: AnthropicExchange): Promise<void> {
  const send = (status: number, json: Json, extra: Record<string, string> = {}): void => {
    if (x.res.destroyed) return;
    x.res.writeHead(status, {
      ...x.settings.responseHeaders,
      'content-type': 'application/json',
      'request-id': x.requestId,
      ...extra,
    });
    x.res.end(JSON.stringify(json));
  };
  const apiKey = x.headers['x-api-key'];
  const key =
    (Array.isArray(apiKey) ? apiKey[0] : apiKey) ??
    /^Bearer (.+)$/.exec(String(x.headers.authorization ?? ''))?.[1] ??
    '';
  if (key === '' || x.rejectKeys?.test(key)) {
    return send(401, anthropicError('authentication_error', 'invalid x-api-key'));
  }
  if (x.method !== 'POST') return send(405, anthropicError('invalid_request_error', 'Method not allowed'));
  if (!isRecord(x.body)) return send(400, anthropicError('invalid_request_error', 'Invalid JSON body'));
  if (x.path === '/v1/messages/count_tokens') {
    const uncached = x.settings.promptTokens;
    return send(200, { input_tokens: typeof uncached === 'function' ? uncached(x.body) : uncached });
  }
  if (typeof x.body['max_tokens'] !== 'number') {
    return send(400, anthropicError('invalid_request_error', 'max_tokens: Field required'));
  }
  const thinking = x.body['thinking'];
  if (
    isRecord(thinking) &&
    typeof thinking['budget_tokens'] === 'number' &&
    thinking['budget_tokens'] >= x.body['max_tokens']
  ) {
    return send(
      400,
      anthropicError('invalid_request_error', '`max_tokens` must be greater than `thinking.budget_tokens`.'),
    );
  }
  if (x.settings.mode === 'error500') return send(500, anthropicError('api_error', 'Internal server error'));
  if (x.settings.mode === 'error429') {
    return send(429, anthropicError('rate_limit_error', 'Number of request tokens has exceeded your rate limit.'), {
      'retry-after': '0',
    });
  }
  const plan = planMessage(x.body, x.settings, x.seq, x.cache);
  x.served(plan.served);
  await answerMessages(x.res, x.requestId, x.body, x.settings, plan, x.reset);
}
