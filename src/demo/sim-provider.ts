// The demo's simulated OpenAI-compatible provider: a node:http server on 127.0.0.1:0 that
// answers POST /v1/chat/completions (JSON, and SSE in the OpenAI chat stream format) with
// deterministic replies whose usage is counted with gpt-tokenizer (tiktoken's counts), and GET /v1/models.
// Ships with `runcap demo`; it must never reach the network or depend on test code.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createTokenCount, planChatReply, type ChatReply } from './sim-reply.js';

export interface SimProviderOptions {
  /** The only provider key accepted (`Authorization: Bearer <key>`). */
  readonly apiKey: string;
  /** Time to first byte. Default 25 ms. */
  readonly latencyMs?: number;
  /** Extra time to first byte per 1,000 prompt tokens (long contexts are slower). Default 3 ms. */
  readonly msPer1kPromptTokens?: number;
  /** Pause between stream events. Default 3 ms. */
  readonly chunkDelayMs?: number;
}

export interface SimProvider {
  /** Base URL including /v1, e.g. "http://127.0.0.1:41234/v1". */
  readonly url: string;
  /** Chat completions answered so far. */
  completions(): number;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const MODELS = [
  'gpt-4.1',
  'gpt-4.1-mini',
  'gpt-4.1-nano',
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-5',
  'gpt-5-mini',
  'gpt-5-nano',
];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function openAiError(message: string, type: string, code: string | null): Json {
  return { error: { message, type, param: null, code } };
}

export async function startSimProvider(options: SimProviderOptions): Promise<SimProvider> {
  const latencyMs = options.latencyMs ?? 25;
  const msPer1k = options.msPer1kPromptTokens ?? 3;
  const chunkDelayMs = options.chunkDelayMs ?? 3;
  const sockets = new Set<Socket>();
  const count = createTokenCount();
  let seq = 0;
  let answered = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, json: unknown): void => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_sim${++seq}` });
      res.end(JSON.stringify(json));
    };
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return send(401, openAiError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      return send(200, {
        object: 'list',
        data: MODELS.map((id) => ({ id, object: 'model', created: 1_735_689_600, owned_by: 'runcap-demo' })),
      });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return send(
        404,
        openAiError(`Invalid URL (${req.method ?? 'GET'} ${path ?? '/'})`, 'invalid_request_error', null),
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = undefined;
    }
    if (!isRecord(body) || !Array.isArray(body['messages'])) {
      return send(400, openAiError('We could not parse the JSON body of your request.', 'invalid_request_error', null));
    }
    const reply = planChatReply(body, count);
    await sleep(latencyMs + Math.round((reply.usage.prompt_tokens / 1000) * msPer1k));
    answered += 1;
    if (body['stream'] !== true) return send(200, completionBody(reply));

    const options_ = body['stream_options'];
    const includeUsage = isRecord(options_) && options_['include_usage'] === true;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': `req_sim${++seq}`,
    });
    res.flushHeaders();
    for (const chunk of streamChunks(reply, includeUsage)) {
      if (res.destroyed) return;
      await new Promise<void>((resolve) => res.write(`data: ${JSON.stringify(chunk)}\n\n`, () => resolve()));
      if (chunkDelayMs > 0) await sleep(chunkDelayMs);
    }
    res.end('data: [DONE]\n\n');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    completions: () => answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function completionBody(reply: ChatReply): Json {
  return {
    id: reply.id,
    object: 'chat.completion',
    created: reply.created,
    model: reply.model,
    system_fingerprint: 'fp_runcap_demo',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: reply.content,
          refusal: null,
          annotations: [],
          ...(reply.toolCall ? { tool_calls: [reply.toolCall] } : {}),
        },
        logprobs: null,
        finish_reason: reply.finishReason,
      },
    ],
    usage: reply.usage,
    service_tier: 'default',
  };
}

/** The OpenAI chat stream: role, content pieces, tool-call pieces, finish, then (if asked) a usage-only chunk. */
function streamChunks(reply: ChatReply, includeUsage: boolean): Json[] {
  const base = {
    id: reply.id,
    object: 'chat.completion.chunk',
    created: reply.created,
    model: reply.model,
    system_fingerprint: 'fp_runcap_demo',
  };
  const usage = includeUsage ? { usage: null } : {};
  const chunk = (delta: Json, finishReason: string | null = null): Json => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...usage,
  });
  const out: Json[] = [chunk({ role: 'assistant', content: '', refusal: null })];
  for (const piece of (reply.content ?? '').match(/\S+\s*/g) ?? []) out.push(chunk({ content: piece }));
  if (reply.toolCall) {
    const { id, type, function: fn } = reply.toolCall;
    out.push(chunk({ tool_calls: [{ index: 0, id, type, function: { name: fn.name, arguments: '' } }] }));
    for (const piece of fn.arguments.match(/.{1,12}/g) ?? [])
      out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
  }
  out.push(chunk({}, reply.finishReason));
  if (includeUsage) out.push({ ...base, choices: [], usage: reply.usage });
  return out;
}
