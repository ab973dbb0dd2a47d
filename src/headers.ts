// Every header name runcap reads or writes (docs/design.md §6), in one place. Below http/, pipeline/
// and proxy/, which all use it; imports only the provider names.

import type { ProviderName } from './providers.js';

export const H = {
  decision: 'x-budget-decision',
  decisionId: 'x-budget-decision-id',
  reservationId: 'x-budget-reservation-id',
  mode: 'x-budget-enforcement-mode',
  blockingScope: 'x-budget-blocking-scope',
  remaining: 'x-budget-remaining-usd',
  requestedModel: 'x-budget-requested-model',
  selectedModel: 'x-budget-selected-model',
  outputClamped: 'x-budget-output-clamped',
  priceTableVersion: 'x-budget-price-table-version',
  /** Set when the ledger was unreachable and the tenant's policy let the call through. */
  failOpen: 'x-budget-fail-open',
  runId: 'x-run-id',
  runBudget: 'x-run-budget-usd',
  /** On the request that creates a run: the run it is a sub-agent of (docs/design.md §2). */
  parentRunId: 'x-parent-run-id',
  retryAfter: 'retry-after',
  feature: 'x-budget-feature',
  user: 'x-budget-user',
  idempotencyKey: 'idempotency-key',
  shouldRetry: 'x-should-retry',
  authorization: 'authorization',
  /** GET /budget/events: the last event a reconnecting client saw (WHATWG HTML, server-sent events). */
  lastEventId: 'last-event-id',
  /** Anthropic's key header (docs/design.md §8.1). */
  apiKey: 'x-api-key',
} as const;

/**
 * The session ids coding agents send on every call, taken as the run id when a call has no
 * X-Run-Id (`run.id_headers`, docs/design.md §2): Claude Code's, then the Codex CLI's.
 * They are the client's own headers and are forwarded to the provider unchanged.
 */
export const SESSION_ID_HEADERS: readonly string[] = ['x-claude-code-session-id', 'session-id'];

/** Headers that can never name a run: credentials (a run id is stored and logged) and runcap's own. */
export const NOT_RUN_ID_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  H.runBudget,
  H.parentRunId,
  H.feature,
  H.user,
  H.idempotencyKey,
]);

/** Request headers that are runcap's own and never reach the provider. */
export const RUNCAP_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  H.runId,
  H.runBudget,
  H.parentRunId,
  H.feature,
  H.user,
]);

/**
 * RFC 9110 §7.6.1 hop-by-hop headers (plus any a message names in its own `Connection`
 * header), and the framing headers runcap recomputes. Dropped in both directions.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
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

// Header policy (docs/security.md "Headers"): who may say what to whom through runcap.

/**
 * Request headers never forwarded upstream, whoever the caller is: credentials runcap
 * replaces, the caller's cookies, and what a proxy in front of runcap says about the
 * caller's network (its address is not the provider's business and must not be spoofable).
 */
export const REQUEST_DENY: ReadonlySet<string> = new Set([
  'authorization',
  'x-api-key',
  'cookie',
  'accept-encoding',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'via',
]);

/** Request header prefixes that are runcap's own (X-Budget-*). */
export const REQUEST_DENY_PREFIXES: readonly string[] = ['x-budget-'];

/**
 * A virtual-key caller uses runcap's provider account, so it may send only these (and the
 * `x-stainless-` SDK telemetry), per provider: never `openai-organization` / `openai-project`,
 * which would pick another organization or project of the shared account, and each provider
 * only its own API headers (`openai-beta` to OpenAI, `anthropic-version` / `anthropic-beta` to
 * Anthropic).
 */
const VIRTUAL_REQUEST_ALLOW_COMMON = [
  'accept',
  'content-type',
  'user-agent',
  'idempotency-key',
  'traceparent',
  'tracestate',
];
export const VIRTUAL_REQUEST_ALLOW: Readonly<Record<ProviderName, ReadonlySet<string>>> = {
  openai: new Set([...VIRTUAL_REQUEST_ALLOW_COMMON, 'openai-beta', 'x-client-request-id']),
  anthropic: new Set([...VIRTUAL_REQUEST_ALLOW_COMMON, 'anthropic-version', 'anthropic-beta']),
};
export const VIRTUAL_REQUEST_ALLOW_PREFIXES: readonly string[] = ['x-stainless-'];

/**
 * Response headers never returned to a caller: they belong to the provider's origin (a
 * cookie, an alternative service or an HSTS pin set on runcap's origin would be wrong).
 */
export const RESPONSE_DENY: ReadonlySet<string> = new Set([
  'content-encoding',
  'set-cookie',
  'set-cookie2',
  'alt-svc',
  'strict-transport-security',
]);

/**
 * What a virtual-key caller gets back from the provider: the body's type, the request id
 * (for support tickets) and what the SDKs need to retry. Account headers
 * (`openai-organization`, `openai-project`, `anthropic-organization-id`) and the shared
 * account's rate-limit counters stay inside runcap.
 */
export const VIRTUAL_RESPONSE_ALLOW: ReadonlySet<string> = new Set([
  'content-type',
  'cache-control',
  'date',
  'x-request-id',
  'request-id',
  'openai-processing-ms',
  'openai-version',
  'retry-after',
  'retry-after-ms',
  'x-should-retry',
]);
