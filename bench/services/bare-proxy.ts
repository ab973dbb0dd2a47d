// The bare pass-through proxy (its own process): the practical ceiling for runcap. The
// same stack as runcap (hono + @hono/node-server + undici.request over a keep-alive
// Agent with the same options) and no budget logic: read the body, forward it with the
// client's headers (hop-by-hop stripped), relay the answer (streams as they arrive).
// Usage: node bare-proxy.js <upstream base URL, e.g. http://127.0.0.1:9000>
// Prints one JSON line {"ready":true,"port":N} on stdout once listening.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';

const upstreamBase = process.argv[2];
if (upstreamBase === undefined) throw new Error('usage: bare-proxy <upstream base URL>');

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000, pipelining: 1 });

function requestHeaders(client: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  client.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) out[name] = value;
  });
  return out;
}

function responseHeaders(upstream: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (Array.isArray(value)) for (const item of value) out.append(name, item);
    else out.set(name, value);
  }
  return out;
}

/** Relays an undici body as a web stream, chunk by chunk (as runcap's relay does, minus the meter). */
function relay(body: Dispatcher.ResponseData['body']): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel() {
      body.destroy();
    },
  });
}

const app = new Hono();
app.post('/v1/*', async (c) => {
  const body = Buffer.from(await c.req.arrayBuffer());
  const response = await request(upstreamBase + c.req.path, {
    method: 'POST',
    headers: requestHeaders(c.req.raw.headers),
    body,
    dispatcher: agent,
    signal: c.req.raw.signal,
  });
  const headers = responseHeaders(response.headers);
  if (String(response.headers['content-type'] ?? '').includes('text/event-stream')) {
    return new Response(relay(response.body), { status: response.statusCode, headers });
  }
  const bytes = Buffer.from(await response.body.arrayBuffer());
  return new Response(bytes, { status: response.statusCode, headers });
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: info.port })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => {
    void agent.close().then(() => process.exit(0));
  });
});
