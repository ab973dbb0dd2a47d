// The upstream HTTP client: undici.request over a keep-alive Agent, separate header
// and body timeouts, client aborts propagated; and the header policy of both directions
// (what a caller may send the provider, what it gets back), in this one place.
import { Agent, request, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import {
  H,
  HOP_BY_HOP,
  REQUEST_DENY,
  REQUEST_DENY_PREFIXES,
  RESPONSE_DENY,
  RUNCAP_REQUEST_HEADERS,
  VIRTUAL_REQUEST_ALLOW,
  VIRTUAL_REQUEST_ALLOW_PREFIXES,
  VIRTUAL_RESPONSE_ALLOW,
} from '../headers.js';
import type { ProviderName } from '../providers.js';
import { setBounded } from '../bounded-map.js';
import type { ClientSignal } from './client-gone.js';
import type { HeaderReader } from './request-headers.js';

export interface UpstreamRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | string | null;
  readonly signal: ClientSignal;
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
  // undici's request(url) parses the URL and copies the options into a new object on every call
  // (7-9 us, most of it V8's slow path for a literal that starts with a spread). A URL it took
  // once is sent again as the origin and path it parsed it into, to the agent directly; a new
  // one still goes through request(), so an invalid URL fails as it always did.
  const targets = new Map<string, { readonly origin: string; readonly path: string }>();
  return {
    async send(req) {
      const target = targets.get(req.url);
      let response: Dispatcher.ResponseData;
      if (target) {
        response = await agent.request({
          origin: target.origin,
          path: target.path,
          method: req.method,
          headers: req.headers,
          body: req.body ?? undefined,
          signal: req.signal,
          headersTimeout: req.headersTimeoutMs,
          bodyTimeout: req.bodyTimeoutMs,
        });
      } else {
        response = await request(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body ?? undefined,
          signal: req.signal,
          dispatcher: agent,
          headersTimeout: req.headersTimeoutMs,
          bodyTimeout: req.bodyTimeoutMs,
        });
        setBounded(targets, req.url, targetOf(req.url), MAX_TARGETS);
      }
      return { statusCode: response.statusCode, headers: response.headers, body: response.body };
    },
    close: () => agent.close(),
  };
}

/** URLs remembered as origin and path: the upstreams' endpoints, and a few passed-through ids. */
const MAX_TARGETS = 256;

/** The origin and path undici's request() sends for `url` (its makeDispatcher). */
export function targetOf(url: string): { readonly origin: string; readonly path: string } {
  const parsed = new URL(url);
  return { origin: parsed.origin, path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname };
}

/** Whose account the call uses: the caller's own (passthrough) or runcap's (virtual key). */
export type HeaderPolicyKind = 'passthrough' | 'virtual';

/**
 * Headers to send upstream (docs/security.md "Headers"): hop-by-hop headers and those the
 * client names in `Connection` never; runcap's own, credentials, cookies and client-address
 * headers never; a virtual-key caller only the ones allow-listed for `provider`. Then the provider key in
 * Authorization (or x-api-key) and an identity encoding so streams can be metered; and
 * `contentType`, when given, as the body's type.
 */
export function upstreamHeaders(
  client: HeaderReader,
  principal: {
    readonly kind: HeaderPolicyKind;
    readonly providerKey: string | null;
    readonly credential?: 'x-api-key';
  },
  provider: ProviderName = 'openai',
  contentType?: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  const named = connectionNamed(client.get('connection'));
  const allowed = principal.kind === 'virtual' ? VIRTUAL_REQUEST_ALLOW[provider] : null;
  client.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || named.has(name) || RUNCAP_REQUEST_HEADERS.has(name) || REQUEST_DENY.has(name)) return;
    if (startsWithAny(name, REQUEST_DENY_PREFIXES)) return;
    if (allowed && !allowed.has(name) && !startsWithAny(name, VIRTUAL_REQUEST_ALLOW_PREFIXES)) return;
    out[name] = value;
  });
  // The key goes in the one header it belongs in: `x-api-key` only ever to Anthropic (auth.ts).
  if (principal.providerKey) {
    if (principal.credential === 'x-api-key') out[H.apiKey] = principal.providerKey;
    else out[H.authorization] = `Bearer ${principal.providerKey}`;
  }
  out['accept-encoding'] = 'identity';
  if (contentType !== undefined) out['content-type'] = contentType;
  return out;
}

/** Response headers as the Node server writes them (`ServerResponse.writeHead`): lower-case names. */
export type ResponseHeaders = Record<string, string>;

/**
 * Response headers for the client: the provider's, minus hop-by-hop ones (and those named
 * in its `Connection`), minus origin-bound ones (cookies, HSTS, Alt-Svc); a virtual-key
 * caller only the allow-listed ones. The length is recomputed. A plain record, not a web
 * `Headers`: @hono/node-server hands a record to `writeHead` as it is, where a `Headers` is
 * built, validated and copied again on every call. It writes what a `Headers` would have: a
 * repeated header joined with ", ", and a `content-type` when the provider sent none (the
 * adapter's default for a `Headers`).
 */
export function clientHeaders(upstream: IncomingHttpHeaders, kind: HeaderPolicyKind): ResponseHeaders {
  const out: ResponseHeaders = {};
  const connection = upstream['connection'];
  const named = connectionNamed(Array.isArray(connection) ? connection.join(',') : (connection ?? null));
  const virtual = kind === 'virtual';
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || RESPONSE_DENY.has(name)) continue;
    if (virtual && !VIRTUAL_RESPONSE_ALLOW.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  out['content-type'] ??= DEFAULT_CONTENT_TYPE;
  return out;
}

/** What @hono/node-server writes for a response without a content type. */
const DEFAULT_CONTENT_TYPE = 'text/plain; charset=UTF-8';

/** The header names a message lists in its `Connection` header (RFC 9110 §7.6.1), lower-cased. */
function connectionNamed(connection: string | null): ReadonlySet<string> {
  if (connection === null || connection === '') return EMPTY;
  // The usual values (both directions, every call) without a split, a map and a filter each time.
  const common = COMMON_CONNECTION.get(connection);
  if (common !== undefined) return common;
  return new Set(
    connection
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
}

const EMPTY: ReadonlySet<string> = new Set();
const COMMON_CONNECTION: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  ['keep-alive', 'close', 'Keep-Alive', 'Close'].map((value) => [value, new Set([value.toLowerCase()])]),
);

function startsWithAny(name: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => name.startsWith(prefix));
}
