// The configuration file's schema (docs/design.md §10), strict: an unknown or bad field stops
// start-up with its path. Amounts stay decimal strings here; resolve.ts turns them
// into micro-USD. No I/O.
import { z } from 'zod';
import { parseUsd } from '../money/micros.js';
import { NOT_RUN_ID_HEADERS, SESSION_ID_HEADERS } from '../headers.js';
import { parseDurationMs } from './duration.js';

const usd = z.string().refine((text) => {
  try {
    parseUsd(text);
    return true;
  } catch {
    return false;
  }
}, 'must be a non-negative decimal string of USD with at most 6 decimals, like "5.00"');

/** A positive amount: a limit of zero would refuse every call. */
const positiveUsd = usd.refine((text) => {
  try {
    return parseUsd(text) > 0;
  } catch {
    return false;
  }
}, 'must be above zero');

const duration = z
  .string()
  .refine((text) => parseDurationMs(text) !== null, 'must be a duration like "90s", "15m", "24h" or "7d"');

/** Timeouts of an upstream that does not set them (also the providers' default upstreams). */
export const UPSTREAM_TIMEOUT_DEFAULTS = {
  headers_timeout: '60s',
  response_timeout: '15m',
  body_timeout: '300s',
} as const;

export const MODES = ['advisory_estimate', 'soft_gate', 'hard_gate', 'actuals_only'] as const;
export const WINDOWS = ['none', '1h', '1d', '7d', '30d', 'month'] as const;

const mode = z.enum(MODES);

/** An HTTP header name (RFC 9110 §5.1 token) that may carry a run id. */
const runIdHeader = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name')
  .refine(
    (name) => !NOT_RUN_ID_HEADERS.has(name.toLowerCase()),
    "cannot name a run: it carries a credential or is runcap's own",
  );
const positiveInt = z.number().int().positive();

const limitSchema = z.strictObject({
  limit_usd: usd,
  window: z.enum(WINDOWS).default('none'),
  /** Per-scope mode; the tenant's mode when absent. */
  mode: mode.optional(),
});

const tenantSchema = z.strictObject({
  mode: mode.default('hard_gate'),
  soft_gate_margin_usd: usd.default('0.50'),
  on_ledger_down: z.enum(['fail_closed', 'fail_open']).default('fail_closed'),
  block_status: z.number().int().min(400).max(499).default(402),
  downgrade: z.enum(['off', 'suggest', 'auto']).default('suggest'),
  budget_clamp: z.boolean().default(false),
  price_table_version: z.string().optional(),
  /** Lets keys of this tenant attribute spend to an end user with X-Budget-User. */
  allow_user_header: z.boolean().default(false),
  /** Responses `background: true`: track each response to its end (its hold stays), or refuse it. */
  background: z.enum(['track', 'refuse']).default('track'),
  run: z
    .strictObject({
      default_limit_usd: usd.default('5.00'),
      max_limit_usd: usd.default('100.00'),
      idle_ttl: duration.default('24h'),
      max_active_per_key: positiveInt.default(1000),
      mode: mode.optional(),
      /** Spend-velocity brake (docs/design.md §12): USD a run may take per trailing minute. Off when absent. */
      max_usd_per_minute: positiveUsd.optional(),
      /** Loop brake: repeats in a row of a run's newest step above this are refused. Off when absent. */
      max_repeated_steps: positiveInt.optional(),
      /** Session headers whose value is the run id of a call without X-Run-Id, first present wins; []: off. */
      id_headers: z.array(runIdHeader).default([...SESSION_ID_HEADERS]),
    })
    .prefault({}),
  /** Threshold alerts (docs/design.md §12): a signed webhook when a run's spend reaches a fraction of its ceiling. */
  alerts: z
    .strictObject({
      webhook_url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
      thresholds: z
        .array(
          z
            .number()
            .gt(0, 'each threshold is a fraction of the ceiling above 0')
            .lte(1, 'each threshold is a fraction of the ceiling, at most 1')
            .refine((t) => Math.abs(t * 10_000 - Math.round(t * 10_000)) < 1e-6, 'at most 4 decimals (0.0001 steps)'),
        )
        .min(1, 'name at least one threshold')
        .max(20)
        .refine((list) => new Set(list).size === list.length, 'thresholds must be distinct'),
      /** The environment variable holding the HMAC secret the webhook body is signed with. */
      secret_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
    })
    .optional(),
  output: z
    .strictObject({
      default_max_tokens: positiveInt.default(4096),
      max_tokens: positiveInt.default(32768),
      on_missing: z.enum(['default', 'reject']).default('default'),
      on_above_max: z.enum(['clamp', 'reject']).default('clamp'),
    })
    .prefault({}),
  limits: z
    .strictObject({
      key: limitSchema.optional(),
      user: limitSchema.optional(),
      team: limitSchema.optional(),
      feature: limitSchema.optional(),
    })
    .prefault({}),
  models: z
    .strictObject({
      allow: z.array(z.string().min(1)).default(['*']),
      deny: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  /** Tools the provider runs itself, invoiced per call (docs/bounds.md). */
  hosted_tools: z
    .strictObject({
      /** max_tool_calls written into a request with hosted tools that sends none; 0: refuse such a request. */
      default_max_calls: z.number().int().min(0).default(0),
      /** Tokens one hosted call may add to the context; absent: the model's whole context window. */
      result_tokens_per_call: positiveInt.optional(),
      /** Tool fee key -> USD per call; replaces the built-in fee, or prices a tool runcap does not know. */
      fees_usd: z.record(z.string().min(1), usd).default({}),
    })
    .prefault({}),
  price_overrides: z.record(z.string().min(1), z.unknown()).default({}),
  downgrade_chains: z.record(z.string().min(1), z.array(z.string().min(1))).default({}),
});

const keySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 chars of [A-Za-z0-9._:-]'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the lowercase hex sha256 of the key'),
  tenant: z.string().min(1).default('default'),
  user: z.string().min(1).optional(),
  team: z.string().min(1).optional(),
  upstream: z.string().min(1).default('openai'),
});

export const configFileSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8787),
      max_body_bytes: positiveInt.default(8 * 1024 * 1024),
      /** Strings one request may ask runcap to count (messages, parts, names, tools); above it: 413. */
      max_counted_texts: positiveInt.default(100_000),
      /** Characters of text one request may ask runcap to count; above it: 413. */
      max_counted_chars: positiveInt.default(8 * 1024 * 1024),
      drain_timeout: duration.default('30s'),
      /** Time to receive a whole request (headers and body) from a client. */
      request_timeout: duration.default('120s'),
      /** Time to receive a request's headers (slow-header clients are cut). */
      headers_timeout: duration.default('15s'),
      /** How long an idle keep-alive connection stays open between requests. */
      keep_alive_timeout: duration.default('5s'),
      /** Open client connections at most; more are refused at accept. */
      max_connections: positiveInt.default(1024),
    })
    .prefault({}),
  upstreams: z
    .record(
      z.string().min(1),
      z.strictObject({
        base_url: z.url(),
        /** The API it speaks; default: "anthropic" for an upstream named anthropic, else "openai". */
        provider: z.enum(['openai', 'anthropic']).optional(),
        api_key_env: z.string().min(1).optional(),
        /** Streaming calls (and free GETs): time until the response headers. */
        headers_timeout: duration.default(UPSTREAM_TIMEOUT_DEFAULTS.headers_timeout),
        /** Non-streaming calls: time until the response headers, i.e. the whole generation. */
        response_timeout: duration.default(UPSTREAM_TIMEOUT_DEFAULTS.response_timeout),
        /** Idle time between two chunks of a response body. */
        body_timeout: duration.default(UPSTREAM_TIMEOUT_DEFAULTS.body_timeout),
      }),
    )
    // A provider without an upstream here gets its default (resolve.ts; `openai` and `anthropic`).
    .default({}),
  ledger: z
    .strictObject({
      sqlite: z.string().min(1).default('./data/runcap.sqlite'),
      sqlite_synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
      redis: z.string().min(1).optional(),
      /** Hold expiry; outlasts the upstream timeouts and is extended while a stream flows. */
      reservation_ttl: duration.default('20m'),
      sweep_interval: duration.default('15s'),
    })
    .prefault({}),
  prices: z.string().min(1).optional(),
  retention_days: positiveInt.default(30),
  /** Tracking of background responses whose client left (docs/background.md). */
  background: z
    .strictObject({
      /** First poll of the provider this long after the client left; doubles up to max_poll_interval. */
      poll_interval: duration.default('2s'),
      max_poll_interval: duration.default('30s'),
      /** Tracked at most this long; then the full hold is charged. */
      max_duration: duration.default('6h'),
      /** Responses one instance tracks at once; beyond, the full hold is charged at once. */
      max_tracked: positiveInt.default(1000),
    })
    .prefault({}),
  /** The live feed GET /budget/events (docs/api.md "Events"). */
  events: z
    .strictObject({
      /** Events kept in memory for reconnects with Last-Event-ID. */
      replay: positiveInt.default(10_000),
      /** Events queued per subscriber; a subscriber that falls further behind loses events (counted). */
      subscriber_buffer: positiveInt.default(1_000),
      /** A comment line this often keeps an idle stream open through proxies. */
      heartbeat: duration.default('15s'),
    })
    .prefault({}),
  /** How threshold alerts are delivered (docs/design.md §12): retried with exponential backoff. */
  alert_delivery: z
    .strictObject({
      /** How often the deliverer looks for due alerts. */
      poll_interval: duration.default('1s'),
      /** The first retry after a failed attempt; each further one waits twice as long, up to max_backoff. */
      initial_backoff: duration.default('1s'),
      max_backoff: duration.default('5m'),
      /** An alert not delivered this long after its crossing is dropped (logged, counted). */
      give_up_after: duration.default('24h'),
      /** One POST's deadline. */
      timeout: duration.default('10s'),
    })
    .prefault({}),
  /** Accept provider keys as identity (docs/design.md §2). Default: on when no virtual keys are configured. */
  passthrough: z.boolean().optional(),
  admin_token: z.string().min(16, 'must be at least 16 characters').optional(),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  tenants: z
    .record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'tenant names are 1-64 chars of [A-Za-z0-9._-]'), tenantSchema)
    .default({}),
  keys: z.array(keySchema).default([]),
});

export type ConfigFile = z.output<typeof configFileSchema>;
export type TenantFile = z.output<typeof tenantSchema>;
export type LimitFile = z.output<typeof limitSchema>;

/** Defaults of a tenant the file does not define (the passthrough `default` tenant). */
export function defaultTenantFile(): TenantFile {
  return tenantSchema.parse({});
}
