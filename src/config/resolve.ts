// Turns a schema-valid config file into the frozen Config: amounts to micro-USD,
// durations to ms, cross-field checks. Reads provider keys from the env it is handed.
import { resolve } from 'node:path';
import { parseUsd } from '../money/micros.js';
import { parsePriceOverrides } from '../pricing/load.js';
import { BUILT_IN_TOOL_FEES_USD } from '../pricing/tool-fees.js';
import { DEFAULT_UPSTREAMS, PROVIDERS, type ProviderName } from '../providers.js';
import type { ConfigFile, LimitFile, TenantFile } from './schema.js';
import { UPSTREAM_TIMEOUT_DEFAULTS, defaultTenantFile } from './schema.js';
import { parseDurationMs } from './duration.js';
import type { AlertPolicy, Config, LimitPolicy, TenantPolicy, UpstreamConfig, VirtualKey } from './types.js';

interface ResolveContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Default price folder (the shipped tables). */
  readonly pricesPath: string;
}

export function resolveConfig(file: ConfigFile, context: ResolveContext): Config {
  const tenants = new Map<string, TenantPolicy>();
  const tenantFiles: Record<string, TenantFile> = { default: defaultTenantFile(), ...file.tenants };
  for (const [name, tenant] of Object.entries(tenantFiles)) tenants.set(name, resolveTenant(name, tenant, context.env));

  const upstreams = new Map<string, UpstreamConfig>();
  for (const [name, upstream] of Object.entries(file.upstreams)) {
    upstreams.set(name, {
      name,
      provider: upstream.provider ?? (name === 'anthropic' ? 'anthropic' : 'openai'),
      baseUrl: upstream.base_url.replace(/\/+$/, ''),
      apiKey: upstream.api_key_env ? context.env[upstream.api_key_env] || null : null,
      headersTimeoutMs: ms(upstream.headers_timeout),
      responseTimeoutMs: ms(upstream.response_timeout),
      bodyTimeoutMs: ms(upstream.body_timeout),
    });
  }
  const providerUpstreams = resolveProviderUpstreams(upstreams, context.env);
  const defaultUpstream = providerUpstreams.get('openai') ?? [...upstreams.keys()][0] ?? 'openai';

  const keys = new Map<string, VirtualKey>();
  file.keys.forEach((key, index) => {
    const where = `keys.${index}`;
    if (!tenants.has(key.tenant)) throw new Error(`${where}.tenant: no tenant named "${key.tenant}"`);
    const upstream = upstreams.get(key.upstream);
    if (!upstream) throw new Error(`${where}.upstream: no upstream named "${key.upstream}"`);
    if (!upstream.apiKey) {
      const configured = file.upstreams[key.upstream];
      const envName = configured ? configured.api_key_env : DEFAULT_UPSTREAMS[upstream.provider].apiKeyEnv;
      throw new Error(
        `${where}.upstream: upstream "${key.upstream}" has no provider key${envName ? ` (set ${envName})` : ' (set api_key_env)'}`,
      );
    }
    if (keys.has(key.sha256)) throw new Error(`${where}.sha256: the same key is configured twice`);
    if ([...keys.values()].some((k) => k.id === key.id)) throw new Error(`${where}.id: duplicate key id "${key.id}"`);
    keys.set(key.sha256, {
      id: key.id,
      sha256: key.sha256,
      tenant: key.tenant,
      user: key.user ?? null,
      team: key.team ?? null,
      upstream: key.upstream,
    });
  });

  const reservationTtlMs = ms(file.ledger.reservation_ttl);
  for (const upstream of upstreams.values()) {
    for (const [field, timeoutMs] of [
      ['headers_timeout', upstream.headersTimeoutMs],
      ['response_timeout', upstream.responseTimeoutMs],
    ] as const) {
      if (reservationTtlMs <= timeoutMs) {
        throw new Error(
          `ledger.reservation_ttl: ${file.ledger.reservation_ttl} must outlast upstreams.${upstream.name}.${field} (${timeoutMs} ms), or holds would expire (and be charged in full) while a call waits for its answer`,
        );
      }
    }
  }

  const ledger: Config['ledger'] = file.ledger.redis
    ? { kind: 'redis', url: file.ledger.redis }
    : {
        kind: 'sqlite',
        path: file.ledger.sqlite === ':memory:' ? ':memory:' : resolve(context.cwd, file.ledger.sqlite),
        synchronous: file.ledger.sqlite_synchronous,
      };

  return deepFreeze({
    server: {
      host: file.server.host,
      port: file.server.port,
      maxBodyBytes: file.server.max_body_bytes,
      maxCountedTexts: file.server.max_counted_texts,
      maxCountedChars: file.server.max_counted_chars,
      drainTimeoutMs: ms(file.server.drain_timeout),
      requestTimeoutMs: ms(file.server.request_timeout),
      headersTimeoutMs: ms(file.server.headers_timeout),
      keepAliveTimeoutMs: ms(file.server.keep_alive_timeout),
      maxConnections: file.server.max_connections,
    },
    upstreams,
    defaultUpstream,
    providerUpstreams,
    ledger,
    reservationTtlMs,
    sweepIntervalMs: ms(file.ledger.sweep_interval),
    pricesPath: file.prices ? resolve(context.cwd, file.prices) : context.pricesPath,
    retentionDays: file.retention_days,
    background: {
      pollIntervalMs: ms(file.background.poll_interval),
      maxPollIntervalMs: Math.max(ms(file.background.poll_interval), ms(file.background.max_poll_interval)),
      maxDurationMs: ms(file.background.max_duration),
      maxTracked: file.background.max_tracked,
    },
    alertDelivery: {
      pollIntervalMs: ms(file.alert_delivery.poll_interval),
      initialBackoffMs: ms(file.alert_delivery.initial_backoff),
      maxBackoffMs: Math.max(ms(file.alert_delivery.initial_backoff), ms(file.alert_delivery.max_backoff)),
      giveUpAfterMs: ms(file.alert_delivery.give_up_after),
      timeoutMs: ms(file.alert_delivery.timeout),
    },
    events: {
      replay: file.events.replay,
      subscriberBuffer: file.events.subscriber_buffer,
      heartbeatMs: ms(file.events.heartbeat),
    },
    passthrough: file.passthrough ?? file.keys.length === 0,
    adminToken: file.admin_token ?? null,
    logLevel: file.log_level,
    tenants,
    keys,
  });
}

function resolveTenant(name: string, tenant: TenantFile, env: ResolveContext['env']): TenantPolicy {
  const where = `tenants.${name}`;
  const run = {
    defaultLimitMicros: parseUsd(tenant.run.default_limit_usd),
    maxLimitMicros: parseUsd(tenant.run.max_limit_usd),
    idleTtlMs: ms(tenant.run.idle_ttl),
    maxActivePerKey: tenant.run.max_active_per_key,
    mode: tenant.run.mode ?? tenant.mode,
    maxUsdPerMinuteMicros: tenant.run.max_usd_per_minute === undefined ? null : parseUsd(tenant.run.max_usd_per_minute),
    maxRepeatedSteps: tenant.run.max_repeated_steps ?? null,
    idHeaders: [...new Set(tenant.run.id_headers.map((name) => name.toLowerCase()))],
  };
  if (run.defaultLimitMicros > run.maxLimitMicros) {
    throw new Error(
      `${where}.run.default_limit_usd: ${tenant.run.default_limit_usd} is above run.max_limit_usd ${tenant.run.max_limit_usd}`,
    );
  }
  if (tenant.output.default_max_tokens > tenant.output.max_tokens) {
    throw new Error(
      `${where}.output.default_max_tokens: ${tenant.output.default_max_tokens} is above output.max_tokens ${tenant.output.max_tokens}`,
    );
  }
  const limits: Partial<Record<'key' | 'user' | 'team' | 'feature', LimitPolicy>> = {};
  for (const type of ['key', 'user', 'team', 'feature'] as const) {
    const limit: LimitFile | undefined = tenant.limits[type];
    if (limit)
      limits[type] = { limitMicros: parseUsd(limit.limit_usd), window: limit.window, mode: limit.mode ?? tenant.mode };
  }
  const priceOverrides = parsePriceOverrides(tenant.price_overrides, `${where}.price_overrides`);
  return {
    name,
    mode: tenant.mode,
    softGateMarginMicros: parseUsd(tenant.soft_gate_margin_usd),
    onLedgerDown: tenant.on_ledger_down,
    blockStatus: tenant.block_status,
    downgrade: tenant.downgrade,
    budgetClamp: tenant.budget_clamp,
    priceTableVersion: tenant.price_table_version ?? null,
    allowUserHeader: tenant.allow_user_header,
    background: tenant.background,
    run,
    alerts: resolveAlerts(where, tenant.alerts, env),
    output: {
      defaultMaxTokens: tenant.output.default_max_tokens,
      maxTokens: tenant.output.max_tokens,
      onMissing: tenant.output.on_missing === 'reject' ? 'reject' : 'default',
      onAbove: tenant.output.on_above_max,
    },
    hostedTools: {
      defaultMaxCalls: tenant.hosted_tools.default_max_calls,
      resultTokensPerCall: tenant.hosted_tools.result_tokens_per_call ?? null,
      feesMicros: new Map(
        Object.entries({ ...BUILT_IN_TOOL_FEES_USD, ...tenant.hosted_tools.fees_usd }).map(([key, usd]) => [
          key,
          parseUsd(usd, `${where}.hosted_tools.fees_usd.${key}`),
        ]),
      ),
    },
    limits,
    models: { allow: tenant.models.allow, deny: tenant.models.deny },
    priceOverrides,
    downgradeChains: new Map(Object.entries(tenant.downgrade_chains)),
  };
}

/**
 * Each provider's upstream: the one named after it, else the first configured for it, else its
 * default (docs/design.md §10: every upstream of the SPEC's list exists unless configured otherwise),
 * added to `upstreams` with the default timeouts.
 */
function resolveProviderUpstreams(
  upstreams: Map<string, UpstreamConfig>,
  env: Readonly<Record<string, string | undefined>>,
): ReadonlyMap<ProviderName, string> {
  const chosen = new Map<ProviderName, string>();
  for (const provider of PROVIDERS) {
    const named = upstreams.get(provider);
    const found =
      named?.provider === provider ? named : [...upstreams.values()].find((upstream) => upstream.provider === provider);
    if (found) {
      chosen.set(provider, found.name);
      continue;
    }
    if (upstreams.has(provider)) continue; // its name is taken by another provider's upstream: none by default
    const fallback = DEFAULT_UPSTREAMS[provider];
    upstreams.set(provider, {
      name: provider,
      provider,
      baseUrl: fallback.baseUrl,
      apiKey: env[fallback.apiKeyEnv] || null,
      headersTimeoutMs: ms(UPSTREAM_TIMEOUT_DEFAULTS.headers_timeout),
      responseTimeoutMs: ms(UPSTREAM_TIMEOUT_DEFAULTS.response_timeout),
      bodyTimeoutMs: ms(UPSTREAM_TIMEOUT_DEFAULTS.body_timeout),
    });
    chosen.set(provider, provider);
  }
  return chosen;
}

function ms(text: string): number {
  const value = parseDurationMs(text);
  if (value === null) throw new Error(`not a duration: ${text}`);
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    const children = value instanceof Map ? [...value.values()] : Object.values(value);
    for (const child of children) deepFreeze(child);
  }
  return value;
}

/** A tenant's alerts: thresholds in basis points, ascending; the secret must be set at start. */
function resolveAlerts(where: string, alerts: TenantFile['alerts'], env: ResolveContext['env']): AlertPolicy | null {
  if (alerts === undefined) return null;
  const secret = env[alerts.secret_env];
  if (secret === undefined || secret === '') {
    throw new Error(
      `${where}.alerts.secret_env: the environment variable ${alerts.secret_env} is not set (the webhook secret)`,
    );
  }
  return {
    webhookUrl: alerts.webhook_url,
    thresholdsBp: alerts.thresholds.map((t) => Math.round(t * 10_000)).sort((a, b) => a - b),
    secretEnv: alerts.secret_env,
    secret,
  };
}
