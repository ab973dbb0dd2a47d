// A fake OpenAI upstream for the benchmarks (its own process): POST /v1/chat/completions
// answers a ~1 KB chat.completion, or an SSE stream of N chunks, after a configurable
// latency. Request headers override the defaults per call, and pass through runcap:
//   x-bench-latency-ms         delay before the response headers (default --latency-ms, 0)
//   x-bench-chunks             content chunks of a stream (default --chunks, 200)
//   x-bench-chunk-interval-ms  delay between chunks, 0 = one write (default --chunk-interval-ms, 1)
// Prints one JSON line {"ready":true,"port":N} on stdout once listening.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { chatCompletionResponse, streamEvents } from '../lib/bodies.js';

interface Defaults {
  latencyMs: number;
  chunks: number;
  chunkIntervalMs: number;
}

function parseArgs(argv: readonly string[]): Defaults {
  const defaults: Defaults = { latencyMs: 0, chunks: 200, chunkIntervalMs: 1 };
  for (let index = 0; index < argv.length; index += 2) {
    const value = Number(argv[index + 1]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`bad value for ${argv[index] ?? ''}`);
    if (argv[index] === '--latency-ms') defaults.latencyMs = value;
    else if (argv[index] === '--chunks') defaults.chunks = value;
    else if (argv[index] === '--chunk-interval-ms') defaults.chunkIntervalMs = value;
    else throw new Error(`unknown flag ${argv[index] ?? ''}`);
  }
  return defaults;
}

const defaults = parseArgs(process.argv.slice(2));
/** What a provider typically sends besides the body. */
const PROVIDER_HEADERS: Record<string, string> = {
  'openai-organization': 'org-bench',
  'openai-processing-ms': '412',
  'openai-version': '2020-10-01',
  'x-ratelimit-limit-requests': '30000',
  'x-ratelimit-limit-tokens': '150000000',
  'x-ratelimit-remaining-requests': '29999',
  'x-ratelimit-remaining-tokens': '149999000',
  'x-ratelimit-reset-requests': '2ms',
  'x-ratelimit-reset-tokens': '0s',
  'x-request-id': 'req_bench0000000000000000000000',
};
const STREAM_CACHE = new Map<string, Buffer[]>();
const JSON_CACHE = new Map<number, Buffer>();

function jsonBody(promptTokens: number): Buffer {
  let payload = JSON_CACHE.get(promptTokens);
  if (payload === undefined) {
    payload = Buffer.from(chatCompletionResponse(promptTokens));
    if (JSON_CACHE.size < 1024) JSON_CACHE.set(promptTokens, payload);
  }
  return payload;
}

function headerNumber(request: IncomingMessage, name: string, fallback: number): number {
  const raw = request.headers[name];
  const value = typeof raw === 'string' ? Number(raw) : Number.NaN;
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

function streamBuffers(chunks: number, promptTokens: number, includeUsage: boolean): Buffer[] {
  const key = `${chunks}:${promptTokens}:${includeUsage}`;
  let events = STREAM_CACHE.get(key);
  if (events === undefined) {
    events = streamEvents(chunks, promptTokens, includeUsage).map((event) => Buffer.from(event));
    if (STREAM_CACHE.size < 64) STREAM_CACHE.set(key, events);
  }
  return events;
}

function sendStream(response: ServerResponse, events: readonly Buffer[], intervalMs: number): void {
  response.writeHead(200, {
    ...PROVIDER_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  if (intervalMs === 0) {
    response.end(Buffer.concat(events));
    return;
  }
  let index = 0;
  const next = (): void => {
    if (response.destroyed) return;
    const event = events[index];
    index += 1;
    if (event === undefined) {
      response.end();
      return;
    }
    response.write(event);
    setTimeout(next, intervalMs);
  };
  next();
}

function handle(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
  if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
    return;
  }
  // Cheap stand-ins for what a provider reads from the body.
  const stream = body.includes('"stream":true');
  const includeUsage = body.includes('"include_usage":true');
  const promptTokens = Math.max(1, Math.round(body.length / 4.5));
  const reply = (): void => {
    if (stream) {
      const events = streamBuffers(
        headerNumber(request, 'x-bench-chunks', defaults.chunks),
        promptTokens,
        includeUsage,
      );
      sendStream(response, events, headerNumber(request, 'x-bench-chunk-interval-ms', defaults.chunkIntervalMs));
      return;
    }
    const payload = jsonBody(promptTokens);
    response.writeHead(200, {
      ...PROVIDER_HEADERS,
      'content-type': 'application/json',
      'content-length': payload.length,
    });
    response.end(payload);
  };
  const latencyMs = headerNumber(request, 'x-bench-latency-ms', defaults.latencyMs);
  if (latencyMs > 0) setTimeout(reply, latencyMs);
  else reply();
}

const server = createServer((request, response) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => handle(request, response, parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)));
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
