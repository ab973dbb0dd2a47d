// A fake OpenAI and Anthropic upstream for e2e tests: a real node:http server on 127.0.0.1:0
// speaking the OpenAI wire format (chat completions, Responses API, legacy completions,
// embeddings, models; JSON and SSE streams) and Anthropic's Messages API (fake-anthropic.ts), with failure modes settable per server or per request
// (`x-fake-mode` header), and a record of every request it received. Test-only; no network.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  chatChunks,
  chatCompletion,
  completionChunks,
  embeddingInputs,
  embeddingList,
  responseEvents,
  responseObject,
  textCompletion,
  type Json,
  type ReplyPlan,
  type ServedUsage,
  type ToolCall,
} from './fake-openai-bodies.js';

export type { ServedUsage };
import { createBackgroundStore, runInBackground, type BackgroundStore } from './fake-background.js';
import {
  hostedCalls,
  promptCount,
  rejectedPredictionTokens,
  rememberConversation,
  sideInputTokens,
  steppedInputTokens,
  type ProviderSide,
} from './fake-provider-side.js';
import { parseJsonFirstWins } from './json-first-wins.js';
import { isAnthropicPath, serveAnthropic, type PromptCache } from './fake-anthropic.js';

export const FAKE_MODES = [
  'ok',
  'error500',
  'error429',
  'reset',
  'stall',
  'no_usage',
  'slow',
  'incomplete',
  'stream_error',
] as const;
/**
 * ok; error500 / error429 (OpenAI error JSON); reset (socket destroyed after `failAfterChunks`
 * content chunks, or before any response when not streaming); stall (headers and
 * `failAfterChunks` chunks, then silence); no_usage (no usage anywhere, even when asked);
 * slow (`slowChunkDelayMs` before each stream event); incomplete (Responses: terminal
 * response.incomplete); stream_error (Anthropic: an `error` event after `failAfterChunks`).
 */
export type FakeMode = (typeof FAKE_MODES)[number];

export interface FakeUpstreamOptions {
  readonly mode?: FakeMode;
  /** Content chunks per stream (fewer when there are fewer output tokens). Default 5. */
  readonly chunks?: number;
  /** Visible output tokens per choice, before the request's cap. Default 20. */
  readonly outputTokens?: number;
  /** Reported prompt tokens: a number, or computed from the request body. Default 10. */
  readonly promptTokens?: number | ((body: Json) => number);
  readonly cachedTokens?: number;
  /** Reasoning tokens per choice (inside the output, spent first against the cap). Default 0. */
  readonly reasoningTokens?: number;
  /** Delay before the response starts. Default 0. */
  readonly latencyMs?: number;
  /** Mode `slow`: delay before each stream event. Default 100. */
  readonly slowChunkDelayMs?: number;
  /** Modes `reset` / `stall`: content chunks sent before failing. Default 2. */
  readonly failAfterChunks?: number;
  /** Ids listed by GET /v1/models. */
  readonly models?: readonly string[];
  /**
   * The `service_tier` a reply reports for a request that sent none, "auto" or "default"
   * (an account set to serve priority answers "priority"). Default "default". A request
   * naming another tier is answered at that tier, as OpenAI does.
   */
  readonly autoTier?: string;
  /** Keys the provider rejects with 401 invalid_api_key on every endpoint (matched on the bare key). */
  readonly rejectKeys?: RegExp | null;
  /** Background responses (`background: true`): how long one runs on the provider's side. Default 500. */
  readonly backgroundMs?: number;
  /** Extra headers on every response (e.g. the account headers and cookies the real API sends). */
  readonly responseHeaders?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * What the provider adds from its side (conversations, stored prompts, items, files, hosted
   * tool calls): billed like the real API when set (fake-provider-side.ts). Default none.
   */
  readonly provider?: ProviderSide | null;
  /** Which of duplicate JSON keys this upstream keeps: `last` (JSON.parse) or `first`. Default last. */
  readonly duplicateKeys?: 'first' | 'last';
  /**
   * Answer every (non-streaming) chat or Responses call with a call of this tool and
   * `toolArguments`, as a model stuck in a loop would. Per request: `x-fake-tool-call`.
   */
  readonly toolCall?: string | null;
  readonly toolArguments?: string;
  /** Responses: `function` tool calls (arguments JSON) or `custom` tool calls (free-form input). Default function. */
  readonly toolKind?: 'function' | 'custom';
  /**
   * An agent's tool loop: answer with the tool call only while the request's input carries fewer
   * tool outputs than this, then with text. Default null: a tool call every time (a stuck model).
   */
  readonly toolTurns?: number | null;
  /**
   * Responses and Messages: a scripted model, over the settings above: the tool call to answer
   * this request with (null: answer in text). For agents whose turns call different tools.
   */
  readonly toolScript?: ((body: Json) => ToolCall | null) | null;
}

type Settings = Required<FakeUpstreamOptions>;

export const FAKE_DEFAULTS: Settings = {
  mode: 'ok',
  chunks: 5,
  outputTokens: 20,
  promptTokens: 10,
  cachedTokens: 0,
  reasoningTokens: 0,
  latencyMs: 0,
  slowChunkDelayMs: 100,
  failAfterChunks: 2,
  models: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-5-mini', 'gpt-3.5-turbo-instruct', 'text-embedding-3-small'],
  autoTier: 'default',
  rejectKeys: null,
  backgroundMs: 500,
  responseHeaders: {},
  provider: null,
  duplicateKeys: 'last',
  toolCall: null,
  toolArguments: '{}',
  toolKind: 'function',
  toolTurns: null,
  toolScript: null,
};

/** How an exchange ended: `client_closed` covers client aborts and stalls cut by close(). */
export type RequestOutcome = 'pending' | 'completed' | 'client_closed' | 'reset';

export interface RecordedRequest {
  readonly method: string;
  /** Path with query string, e.g. "/v1/chat/completions". */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined when empty or not JSON. */
  readonly body: unknown;
  readonly rawBody: string;
  readonly mode: FakeMode;
  /** The usage the planned reply reports (null: none, or no reply planned); a reset or stall never delivers it. */
  readonly served: ServedUsage | null;
  readonly outcome: RequestOutcome;
  /** Resolves with the final outcome once the exchange is over. */
  readonly ended: Promise<RequestOutcome>;
}

export interface FakeUpstream {
  /** Base URL without /v1, e.g. "http://127.0.0.1:41234". */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Background responses the fake provider ran (see fake-background.ts). */
  readonly background: BackgroundStore;
  /** Merges options for the requests that follow. */
  configure(options: FakeUpstreamOptions): void;
  clearRequests(): void;
  /** Open TCP connections (including idle keep-alive ones). */
  openConnections(): number;
  /** Requests whose response has not finished or closed. */
  inFlight(): number;
  close(): Promise<void>;
}

interface MutableRecord extends RecordedRequest {
  outcome: RequestOutcome;
  served: ServedUsage | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const WORDS = [' Hello', ' from', ' the', ' fake', ' upstream', ',', ' one', ' token', ' per', ' word', '.'];
/** Output token `i` of the deterministic reply: "Hello from the fake upstream, one token per word. Hello ..." */
const word = (i: number): string => (i === 0 ? 'Hello' : (WORDS[i % WORDS.length] ?? ''));
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Per-request overrides: x-fake-mode, x-fake-output-tokens, x-fake-prompt-tokens, x-fake-chunks,
 * x-fake-latency-ms, x-fake-background-ms, x-fake-tool-call.
 */
function settingsFor(base: Settings, headers: IncomingHttpHeaders): Settings {
  const header = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const int = (name: string, fallback: number): number => {
    const value = header(name);
    return value === undefined ? fallback : Number.parseInt(value, 10);
  };
  const mode = header('x-fake-mode') ?? base.mode;
  if (!(FAKE_MODES as readonly string[]).includes(mode))
    throw new Error(`fake upstream: unknown x-fake-mode "${mode}"`);
  const promptHeader = header('x-fake-prompt-tokens');
  return {
    ...base,
    mode: mode as FakeMode,
    outputTokens: int('x-fake-output-tokens', base.outputTokens),
    promptTokens: promptHeader === undefined ? base.promptTokens : Number.parseInt(promptHeader, 10),
    chunks: int('x-fake-chunks', base.chunks),
    latencyMs: int('x-fake-latency-ms', base.latencyMs),
    backgroundMs: int('x-fake-background-ms', base.backgroundMs),
    toolCall: header('x-fake-tool-call') ?? base.toolCall,
  };
}

type Endpoint = 'chat' | 'responses' | 'completions' | 'embeddings';
const ENDPOINTS = new Map<string, Endpoint>([
  ['/v1/chat/completions', 'chat'],
  ['/v1/responses', 'responses'],
  ['/v1/completions', 'completions'],
  ['/v1/embeddings', 'embeddings'],
]);

function planReply(endpoint: Endpoint, body: Json, s: Settings, seq: number): ReplyPlan {
  const capField =
    endpoint === 'chat'
      ? (num(body['max_completion_tokens']) ?? num(body['max_tokens']))
      : endpoint === 'responses'
        ? num(body['max_output_tokens'])
        : endpoint === 'completions'
          ? (num(body['max_tokens']) ?? 16)
          : 0;
  const cap = capField ?? Number.POSITIVE_INFINITY;
  const reasoning = Math.min(s.reasoningTokens, cap);
  const visible = endpoint === 'embeddings' ? 0 : Math.max(0, Math.min(s.outputTokens, cap - reasoning));
  // Legacy completions: every prompt of a batch gets n choices (best_of candidates billed).
  const prompts = endpoint === 'completions' ? promptCount(body['prompt']) : 1;
  const n = endpoint === 'chat' || endpoint === 'completions' ? (num(body['n']) ?? 1) : 1;
  const billed = (endpoint === 'completions' ? Math.max(n, num(body['best_of']) ?? n) : n) * prompts;
  const ownPromptTokens = typeof s.promptTokens === 'function' ? s.promptTokens(body) : s.promptTokens;
  const side = s.provider;
  const baseInput = ownPromptTokens + (side ? sideInputTokens(body, side) : 0);
  const calls = side && endpoint === 'responses' ? hostedCalls(body, side) : [];
  const promptTokens = side ? steppedInputTokens(baseInput, calls.length, side) : baseInput;
  const rejected = endpoint === 'chat' ? rejectedPredictionTokens(body) * n : 0;
  const pieceCount = Math.min(Math.max(1, s.chunks), visible);
  const pieces = Array.from({ length: pieceCount }, (_, p) => {
    const from = Math.floor((p * visible) / pieceCount);
    const to = Math.floor(((p + 1) * visible) / pieceCount);
    return Array.from({ length: to - from }, (_, k) => word(from + k)).join('');
  });
  const prefix = { chat: 'chatcmpl-', responses: 'resp_', completions: 'cmpl-', embeddings: 'emb-' }[endpoint];
  const completionTokens = (reasoning + visible) * billed + rejected;
  if (side && endpoint === 'responses') rememberConversation(body, ownPromptTokens, completionTokens, side);
  return {
    id: `${prefix}fake${String(seq).padStart(6, '0')}`,
    model: typeof body['model'] === 'string' ? body['model'] : 'unknown',
    created: Math.floor(Date.now() / 1000),
    pieces,
    choices: n * prompts,
    promptTokens,
    cachedTokens: Math.min(s.cachedTokens, promptTokens),
    completionTokens,
    reasoningTokens: reasoning * billed,
    truncated: s.reasoningTokens + s.outputTokens > cap,
    noUsage: s.mode === 'no_usage',
    serviceTier: servedTier(body['service_tier'], s.autoTier),
    rejectedPredictionTokens: rejected,
    hostedCalls: calls,
    toolCall:
      s.toolScript !== null && endpoint === 'responses'
        ? s.toolScript(body)
        : s.toolCall !== null &&
            (endpoint === 'responses' || (endpoint === 'chat' && s.toolKind === 'function')) &&
            (s.toolTurns === null || toolOutputs(body) < s.toolTurns)
          ? { kind: s.toolKind, name: s.toolCall, arguments: s.toolArguments }
          : null,
  };
}

/** Tool outputs in a request's input: Responses `*_call_output` items, chat `tool` messages. */
function toolOutputs(body: Json): number {
  const items = Array.isArray(body['input']) ? body['input'] : Array.isArray(body['messages']) ? body['messages'] : [];
  return items.filter(
    (item: unknown) =>
      isRecord(item) &&
      ((typeof item['type'] === 'string' && item['type'].endsWith('_call_output')) || item['role'] === 'tool'),
  ).length;
}

function servedTier(requested: unknown, autoTier: string): string {
  return typeof requested === 'string' && requested !== 'auto' && requested !== 'default' ? requested : autoTier;
}

function openAiError(message: string, type: string, code: string | null): Json {
  return { error: { message, type, param: null, code } };
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  let base: Settings = { ...FAKE_DEFAULTS, ...options };
  const requests: MutableRecord[] = [];
  const background = createBackgroundStore();
  const promptCache: PromptCache = new Map();
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let seq = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body =
        rawBody === '' ? undefined : base.duplicateKeys === 'first' ? parseJsonFirstWins(rawBody) : JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const s = settingsFor(base, req.headers);
    seq += 1;
    const requestId = `req_fake${seq}`;
    let resetByUs = false;
    let settle: (outcome: RequestOutcome) => void = () => {};
    const record: MutableRecord = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      rawBody,
      mode: s.mode,
      served: null,
      outcome: 'pending',
      ended: new Promise<RequestOutcome>((resolve) => (settle = resolve)),
    };
    requests.push(record);
    inFlight += 1;
    res.on('error', () => {});
    res.on('close', () => {
      inFlight -= 1;
      record.outcome = res.writableFinished ? 'completed' : resetByUs ? 'reset' : 'client_closed';
      settle(record.outcome);
    });
    const send = (status: number, json: Json, extra: Record<string, string> = {}): void => {
      if (res.destroyed) return;
      res.writeHead(status, {
        ...s.responseHeaders,
        'content-type': 'application/json',
        'x-request-id': requestId,
        ...extra,
      });
      res.end(JSON.stringify(json));
    };
    /** Cuts the connection without finishing the response (the client sees a premature close). */
    const reset = (): void => {
      resetByUs = true;
      res.socket?.destroy();
    };

    if (s.latencyMs > 0) await sleep(s.latencyMs);
    const path = (req.url ?? '/').split('?')[0];
    if (isAnthropicPath(path ?? '')) {
      return serveAnthropic({
        res,
        method: req.method ?? 'GET',
        path: path ?? '',
        headers: req.headers,
        body,
        settings: s,
        rejectKeys: s.rejectKeys,
        requestId,
        seq,
        cache: promptCache,
        reset,
        served: (usage) => (record.served = usage),
      });
    }
    const key = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    if (s.rejectKeys?.test(key)) {
      const shown = `${key.slice(0, 4)}${'*'.repeat(Math.max(0, key.length - 8))}${key.slice(-4)}`;
      const message = `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`;
      return send(401, openAiError(message, 'invalid_request_error', 'invalid_api_key'));
    }
    if (req.method === 'GET' && path === '/v1/models') {
      const data = base.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'openai' }));
      return send(200, { object: 'list', data });
    }
    const stored = /^\/v1\/responses\/([^/]+)(\/cancel)?$/.exec(path ?? '');
    if (stored?.[1] !== undefined && (req.method === 'GET' ? !stored[2] : req.method === 'POST' && stored[2])) {
      const id = decodeURIComponent(stored[1]);
      const auth = String(req.headers.authorization ?? '');
      const found = req.method === 'GET' ? background.get(id, auth) : background.cancel(id, auth);
      if (found) return send(200, found);
      return send(404, openAiError(`No response found with id '${id}'.`, 'invalid_request_error', null));
    }
    const endpoint = ENDPOINTS.get(path ?? '');
    if (req.method !== 'POST' || endpoint === undefined) {
      return send(404, openAiError(`Invalid URL (${req.method} ${path})`, 'invalid_request_error', null));
    }
    if (!isRecord(body)) {
      return send(400, openAiError('We could not parse the JSON body of your request.', 'invalid_request_error', null));
    }
    if (s.mode === 'error500') {
      return send(
        500,
        openAiError('The server had an error while processing your request. Sorry about that!', 'server_error', null),
      );
    }
    if (s.mode === 'error429') {
      const message = 'Rate limit reached for requests. Please try again in 20ms.';
      return send(429, openAiError(message, 'requests', 'rate_limit_exceeded'), { 'retry-after-ms': '20' });
    }

    const plan = planReply(endpoint, body, s, seq);
    if (!plan.noUsage) {
      record.served = {
        inputTokens: plan.promptTokens,
        cachedTokens: plan.cachedTokens,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        outputTokens: plan.completionTokens,
      };
    }
    const streaming = body['stream'] === true && endpoint !== 'embeddings';
    if (streaming && plan.toolCall !== null && endpoint === 'chat') {
      return send(
        400,
        openAiError(
          'fake upstream: chat tool calls are answered without streaming only',
          'invalid_request_error',
          null,
        ),
      );
    }
    if (endpoint === 'responses' && body['background'] === true) {
      background.start(plan, body, String(req.headers.authorization ?? ''), s.backgroundMs);
      return runInBackground(res, requestId, plan, body, s, streaming);
    }
    if (!streaming) {
      if (s.mode === 'reset') return reset();
      if (s.mode === 'stall') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId });
        res.flushHeaders();
        return; // never answers; close() or the client ends it
      }
      if (s.mode === 'slow') await sleep(s.slowChunkDelayMs * Math.max(1, plan.pieces.length));
      if (endpoint === 'chat') return send(200, chatCompletion(plan));
      if (endpoint === 'completions') return send(200, textCompletion(plan));
      if (endpoint === 'embeddings') {
        const dims = num(body['dimensions']) ?? 8;
        return send(
          200,
          embeddingList(plan, embeddingInputs(body['input']), dims, body['encoding_format'] === 'base64'),
        );
      }
      const status = plan.truncated || s.mode === 'incomplete' ? 'incomplete' : 'completed';
      return send(200, responseObject(plan, body, status));
    }

    const streamOptions = body['stream_options'];
    const includeUsage = isRecord(streamOptions) && streamOptions['include_usage'] === true;
    const events: { text: string; content: boolean }[] =
      endpoint === 'responses'
        ? responseEvents(plan, body, plan.truncated || s.mode === 'incomplete' ? 'incomplete' : 'completed').map(
            (e) => ({
              text: `event: ${String(e.event['type'])}\ndata: ${JSON.stringify(e.event)}\n\n`,
              content: e.content,
            }),
          )
        : [
            ...(endpoint === 'chat' ? chatChunks(plan, includeUsage) : completionChunks(plan, includeUsage)).map(
              (c) => ({
                text: `data: ${JSON.stringify(c.chunk)}\n\n`,
                content: c.content,
              }),
            ),
            { text: 'data: [DONE]\n\n', content: false },
          ];
    // reset/stall strike after `failAfterChunks` content events (or after the last one).
    const contentAt = events.flatMap((e, i) => (e.content ? [i] : []));
    const failAt = (contentAt[Math.min(s.failAfterChunks, contentAt.length) - 1] ?? -1) + 1;
    res.writeHead(200, {
      ...s.responseHeaders,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': requestId,
    });
    res.flushHeaders();
    for (const [i, event] of events.entries()) {
      if (i === failAt && s.mode === 'reset') return reset();
      if (i === failAt && s.mode === 'stall') return;
      if (s.mode === 'slow') await sleep(s.slowChunkDelayMs);
      if (res.destroyed) return;
      // Wait until the bytes reach the socket, so a reset or stall right after cannot swallow them.
      await new Promise<void>((resolve) => res.write(event.text, () => resolve()));
    }
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake upstream: ${error instanceof Error ? error.message : String(error)}`);
      } else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    background,
    configure: (patch) => {
      base = { ...base, ...patch };
    },
    clearRequests: () => {
      requests.length = 0;
    },
    openConnections: () => sockets.size,
    inFlight: () => inFlight,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
