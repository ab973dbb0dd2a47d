// The resolved, frozen configuration every other module receives. Types only.
import type { Micros } from '../money/micros.js';
import type { EnforcementMode, ScopeWindow } from '../ledger/index.js';
import type { OutputPolicy } from '../estimate/types.js';
import type { ModelPrice } from '../pricing/types.js';
import type { ProviderName } from '../providers.js';

export interface LimitPolicy {
  readonly limitMicros: Micros;
  readonly window: ScopeWindow;
  readonly mode: EnforcementMode;
}

/** Hosted (provider-run) tools: how their calls are bounded and priced (docs/bounds.md). */
export interface HostedToolsPolicy {
  /** Written as max_tool_calls when a request with hosted tools sends none; 0: such a request is refused. */
  readonly defaultMaxCalls: number;
  /** Tokens one call may add to the context; null: the model's context window (the only true bound). */
  readonly resultTokensPerCall: number | null;
  /** Fee per call by fee key: the built-in table with the tenant's entries over it. */
  readonly feesMicros: ReadonlyMap<string, Micros>;
}

export interface AlertPolicy {
  readonly webhookUrl: string;
  /** Fractions of the ceiling in basis points (8000 = 0.8), ascending. */
  readonly thresholdsBp: readonly number[];
  /** The environment variable the secret came from (named in logs, never the secret). */
  readonly secretEnv: string;
  /** The HMAC-SHA256 key of X-Runcap-Signature. */
  readonly secret: string;
}

export interface TenantPolicy {
  readonly name: string;
  readonly mode: EnforcementMode;
  readonly softGateMarginMicros: Micros;
  readonly onLedgerDown: 'fail_closed' | 'fail_open';
  readonly blockStatus: number;
  readonly downgrade: 'off' | 'suggest' | 'auto';
  readonly budgetClamp: boolean;
  readonly priceTableVersion: string | null;
  readonly allowUserHeader: boolean;
  readonly background: 'track' | 'refuse';
  readonly run: {
    readonly defaultLimitMicros: Micros;
    readonly maxLimitMicros: Micros;
    readonly idleTtlMs: number;
    readonly maxActivePerKey: number;
    readonly mode: EnforcementMode;
    /** Spend-velocity brake: micro-USD a run may take per trailing minute; null = off. */
    readonly maxUsdPerMinuteMicros: Micros | null;
    /** Loop brake: repeats in a row of one step allowed; null = off. */
    readonly maxRepeatedSteps: number | null;
    /** Session headers (lowercase) naming the run of a call without X-Run-Id, in order (docs/design.md §2). */
    readonly idHeaders: readonly string[];
  };
  /** Threshold alerts (docs/design.md §12); null = off. */
  readonly alerts: AlertPolicy | null;
  readonly output: OutputPolicy;
  readonly hostedTools: HostedToolsPolicy;
  readonly limits: Readonly<Partial<Record<'key' | 'user' | 'team' | 'feature', LimitPolicy>>>;
  readonly models: { readonly allow: readonly string[]; readonly deny: readonly string[] };
  readonly priceOverrides: ReadonlyMap<string, ModelPrice>;
  readonly downgradeChains: ReadonlyMap<string, readonly string[]>;
}

export interface UpstreamConfig {
  readonly name: string;
  /** The API it speaks: a metered endpoint is routed to an upstream of its provider. */
  readonly provider: ProviderName;
  /**
   * Base URL: OpenAI's including the version path ("https://api.openai.com/v1"), Anthropic's
   * without it ("https://api.anthropic.com"), as each provider's SDKs take it.
   */
  readonly baseUrl: string;
  /** Provider key for virtual-key callers; null when not configured. Never logged. */
  readonly apiKey: string | null;
  /** Streaming calls and free GETs: time until the response headers. */
  readonly headersTimeoutMs: number;
  /** Non-streaming calls: time until the response headers (the whole generation). */
  readonly responseTimeoutMs: number;
  /** Idle time between two body chunks. */
  readonly bodyTimeoutMs: number;
}

export interface VirtualKey {
  readonly id: string;
  readonly sha256: string;
  readonly tenant: string;
  readonly user: string | null;
  readonly team: string | null;
  readonly upstream: string;
}

export type LedgerConfig =
  | { readonly kind: 'sqlite'; readonly path: string; readonly synchronous: 'NORMAL' | 'FULL' }
  | { readonly kind: 'redis'; readonly url: string };

export interface Config {
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly maxBodyBytes: number;
    /** Bounds on the counting one request may cause (SPEC §4 estimate; issue 11 item 4). */
    readonly maxCountedTexts: number;
    readonly maxCountedChars: number;
    readonly drainTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly maxConnections: number;
  };
  readonly upstreams: ReadonlyMap<string, UpstreamConfig>;
  /** The upstream of passthrough callers on OpenAI endpoints (and of the budget API's key checks). */
  readonly defaultUpstream: string;
  /** Per provider, the upstream its endpoints use unless a virtual key names one of that provider. */
  readonly providerUpstreams: ReadonlyMap<ProviderName, string>;
  readonly ledger: LedgerConfig;
  readonly reservationTtlMs: number;
  readonly sweepIntervalMs: number;
  readonly pricesPath: string;
  readonly retentionDays: number;
  readonly background: {
    readonly pollIntervalMs: number;
    readonly maxPollIntervalMs: number;
    readonly maxDurationMs: number;
    readonly maxTracked: number;
  };
  readonly alertDelivery: {
    readonly pollIntervalMs: number;
    readonly initialBackoffMs: number;
    readonly maxBackoffMs: number;
    readonly giveUpAfterMs: number;
    readonly timeoutMs: number;
  };
  readonly events: {
    readonly replay: number;
    readonly subscriberBuffer: number;
    readonly heartbeatMs: number;
  };
  readonly passthrough: boolean;
  readonly adminToken: string | null;
  readonly logLevel: string;
  readonly tenants: ReadonlyMap<string, TenantPolicy>;
  /** Virtual keys by the sha256 hex of the key. */
  readonly keys: ReadonlyMap<string, VirtualKey>;
}
