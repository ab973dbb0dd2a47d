// The OpenAI-compatible surface: POST /v1/<metered endpoint> through the pipeline,
// GET /v1/models passed through, every other /v1 path refused (never forwarded unmetered).
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import { RuncapError } from '../errors.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { upstreamOf } from '../pipeline/forward.js';
import { proxyCall } from '../pipeline/proxy-call.js';
import { ADAPTERS } from '../proxy/adapters/index.js';
import { clientHeaders, upstreamHeaders } from '../proxy/upstream.js';
import { authenticate } from '../auth.js';
import { H } from '../headers.js';
import { readBody } from './read-body.js';

export function registerProxyRoutes(app: Hono<{ Bindings: HttpBindings }>, deps: PipelineDeps): void {
  app.get('/v1/models', async (c) => {
    const principal = authenticate(deps.config, c.req.header(H.authorization));
    const upstream = upstreamOf(deps, principal.upstream);
    const response = await deps.upstream.send({
      url: `${upstream.baseUrl}/models`,
      method: 'GET',
      headers: upstreamHeaders(c.req.raw.headers, principal),
      body: null,
      signal: c.req.raw.signal,
      headersTimeoutMs: upstream.headersTimeoutMs,
      bodyTimeoutMs: upstream.bodyTimeoutMs,
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    return new Response(body, {
      status: response.statusCode,
      headers: clientHeaders(response.headers, principal.kind),
    });
  });

  app.post('/v1/*', async (c) => {
    const path = c.req.path.slice('/v1'.length);
    const adapter = ADAPTERS.get(path);
    if (!adapter) throw notMetered(c.req.method, c.req.path);
    // Who is calling is settled before a byte of the body is read: an unknown key (passthrough
    // off) is refused without buffering up to max_body_bytes for it.
    const principal = authenticate(deps.config, c.req.header(H.authorization));
    const body = await readBody(c.env.incoming, deps.config.server.maxBodyBytes);
    const outgoing = c.env.outgoing;
    return proxyCall(deps, {
      adapter,
      principal,
      headers: c.req.raw.headers,
      body,
      signal: c.req.raw.signal,
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
