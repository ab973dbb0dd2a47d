// The proxied surface: POST /v1/<metered endpoint> (OpenAI's, and Anthropic's /v1/messages)
// through the pipeline; the free GET /v1/models, GET /v1/responses/{id},
// POST /v1/responses/{id}/cancel and POST /v1/messages/count_tokens passed through; every other
// /v1 path refused (never forwarded unmetered).
import type { HttpBindings } from '@hono/node-server';
import type { Context, Hono } from 'hono';
import { RuncapError } from '../errors.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { upstreamOf } from '../pipeline/forward.js';
import { proxyCall } from '../pipeline/proxy-call.js';
import { ADAPTERS } from '../proxy/adapters/index.js';
import { passThroughMeter } from '../proxy/pass-through-meter.js';
import { relayStream } from '../proxy/relay.js';
import { RequestHeaders } from '../proxy/request-headers.js';
import { clientHeaders, upstreamHeaders } from '../proxy/upstream.js';
import { authenticate, type Credentials } from '../auth.js';
import type { ProviderName } from '../providers.js';
import { H } from '../headers.js';
import { clientSignal } from './client-signal.js';
import { readBody } from './read-body.js';

export function registerProxyRoutes(app: Hono<{ Bindings: HttpBindings }>, deps: PipelineDeps): void {
  // Free provider endpoints, passed through with the same header policy (nothing to meter):
  // the model list, and fetching or cancelling a (background) response (docs/background.md).
  app.get('/v1/models', (c) => passThrough(deps, c, 'GET', '/models'));
  // Anthropic's token counting is free (docs/design.md §8.1): authenticated like a metered call,
  // its body bounded the same way, then forwarded as it is.
  app.post('/v1/messages/count_tokens', (c) =>
    passThrough(deps, c, 'POST', `/v1/messages/count_tokens${query(c.req.url)}`, { provider: 'anthropic', body: true }),
  );
  app.get('/v1/responses/:id', async (c) => {
    const id = c.req.param('id');
    return observed(
      deps,
      id,
      await passThrough(deps, c, 'GET', `/responses/${encodeURIComponent(id)}${query(c.req.url)}`),
    );
  });
  app.post('/v1/responses/:id/cancel', async (c) => {
    const id = c.req.param('id');
    return observed(deps, id, await passThrough(deps, c, 'POST', `/responses/${encodeURIComponent(id)}/cancel`));
  });

  app.post('/v1/*', async (c) => {
    const path = c.req.path.slice('/v1'.length);
    const adapter = ADAPTERS.get(path);
    if (!adapter) throw notMetered(c.req.method, c.req.path);
    // Who is calling is settled before a byte of the body is read: an unknown key (passthrough
    // off) is refused without buffering up to max_body_bytes for it.
    // The headers read from Node's own, not `c.req.raw.headers` (a web Headers built every call).
    const headers = new RequestHeaders(c.env.incoming.rawHeaders);
    const principal = authenticate(
      deps.config,
      { authorization: headers.get(H.authorization), apiKey: headers.get(H.apiKey) },
      adapter.provider,
    );
    const body = await readBody(c.env.incoming, deps.config.server.maxBodyBytes);
    const outgoing = c.env.outgoing;
    return proxyCall(deps, {
      adapter,
      principal,
      headers,
      query: query(c.req.url),
      body,
      signal: clientSignal(c.env.incoming, outgoing),
      abortClient: () => outgoing.destroy(),
    });
  });

  app.all('/v1/*', (c) => {
    throw notMetered(c.req.method, c.req.path);
  });
}

function notMetered(method: string, path: string): RuncapError {
  return new RuncapError(
    'endpoint_not_metered',
    `${method} ${path} is not an endpoint runcap can price, so it is not forwarded. Metered: ${[...ADAPTERS.keys()].map((p) => `POST /v1${p}`).join(', ')}; GET /v1/models passes through.`,
  );
}

function credentialsOf(c: Context<{ Bindings: HttpBindings }>): Credentials {
  return { authorization: c.req.header(H.authorization), apiKey: c.req.header(H.apiKey) };
}

/**
 * Forwards a free call as it is; an event stream is relayed as it arrives. A body (count_tokens)
 * is read after authentication, bounded by server.max_body_bytes, and sent unchanged.
 */
async function passThrough(
  deps: PipelineDeps,
  c: Context<{ Bindings: HttpBindings }>,
  method: 'GET' | 'POST',
  path: string,
  options: { readonly provider?: ProviderName; readonly body?: boolean } = {},
): Promise<Response> {
  const principal = authenticate(deps.config, credentialsOf(c), options.provider ?? 'openai');
  deps.keyVerdicts.refuseRejected(principal);
  const body = options.body === true ? await readBody(c.env.incoming, deps.config.server.maxBodyBytes) : null;
  const upstream = upstreamOf(deps, principal.upstream);
  const sent = upstreamHeaders(c.req.raw.headers, principal, upstream.provider);
  if (body !== null) sent['content-type'] = c.req.header('content-type') ?? 'application/json';
  const response = await deps.upstream.send({
    url: `${upstream.baseUrl}${path}`,
    method,
    headers: sent,
    body,
    signal: clientSignal(c.env.incoming, c.env.outgoing),
    headersTimeoutMs: upstream.headersTimeoutMs,
    bodyTimeoutMs: upstream.bodyTimeoutMs,
  });
  deps.keyVerdicts.record(principal, response.statusCode);
  const headers = clientHeaders(response.headers, principal.kind);
  if (String(response.headers['content-type'] ?? '').includes('text/event-stream')) {
    const stream = relayStream({
      body: response.body,
      meter: passThroughMeter(),
      abortUpstream: () => response.body.destroy(),
      abortClient: () => c.env.outgoing.destroy(),
      onEnd: () => Promise.resolve(),
    });
    return new Response(stream, { status: response.statusCode, headers });
  }
  const bytes = Buffer.from(await response.body.arrayBuffer());
  return new Response(bytes, { status: response.statusCode, headers });
}

function query(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at);
}

/** A client fetching (or cancelling) its own background response may tell runcap how it ended first. */
async function observed(deps: PipelineDeps, id: string, response: Response): Promise<Response> {
  if (
    response.status === 200 &&
    deps.background.has(id) &&
    (response.headers.get('content-type') ?? '').includes('application/json')
  ) {
    deps.background.observe(id, await response.clone().json());
  }
  return response;
}
