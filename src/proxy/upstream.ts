// The upstream HTTP client: undici.request over a keep-alive Agent, separate header
// and body timeouts, hop-by-hop headers stripped both ways, client aborts propagated.
import { Agent, request, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { HOP_BY_HOP, RUNCAP_REQUEST_HEADERS, H } from '../headers.js';

export interface UpstreamRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | string | null;
  readonly signal: AbortSignal;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Dispatcher.ResponseData['body'];
}

export interface UpstreamClient {
  send(request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export function createUpstreamClient(options: { connections?: number } = {}): UpstreamClient {
  const agent = new Agent({ connections: options.connections ?? 256, keepAliveTimeout: 30_000, pipelining: 1 });
  return {
    async send(req) {
      const response = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body ?? undefined,
        signal: req.signal,
        dispatcher: agent,
        headersTimeout: req.headersTimeoutMs,
        bodyTimeout: req.bodyTimeoutMs,
      });
      return { statusCode: response.statusCode, headers: response.headers, body: response.body };
    },
    close: () => agent.close(),
  };
}

/**
 * Headers to send upstream: the client's, minus hop-by-hop and runcap's own, with the
 * provider key in Authorization and an identity encoding so streams can be metered.
 */
export function upstreamHeaders(client: Headers, providerKey: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  client.forEach((value, name) => {
    if (
      HOP_BY_HOP.has(name) ||
      RUNCAP_REQUEST_HEADERS.has(name) ||
      name === H.authorization ||
      name === 'accept-encoding'
    )
      return;
    if (name.startsWith('x-budget-')) return;
    out[name] = value;
  });
  if (providerKey) out[H.authorization] = `Bearer ${providerKey}`;
  out['accept-encoding'] = 'identity';
  return out;
}

/** Response headers for the client: the provider's, minus hop-by-hop ones (the length is recomputed). */
export function clientHeaders(upstream: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'content-encoding') continue;
    if (Array.isArray(value)) for (const v of value) out.append(name, v);
    else out.set(name, value);
  }
  return out;
}
