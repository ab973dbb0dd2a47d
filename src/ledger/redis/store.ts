// openRedisStore: the multi-instance backend (docs/design.md §3.4) holding the ledger, runs,
// decisions and spend in one Redis (standalone or Cluster), opened and closed together.
// Wiring and option checks only; see docs/ledger-redis.md for the data layout.
import { closeRedis, connectRedis, guardedRedis } from './client.js';
import { assertKeyPrefix, DEFAULT_KEY_PREFIX, globalKeys } from './keys.js';
import { createRedisLedger } from './ledger.js';
import { createRedisChains } from './chains.js';
import { createRedisDecisions, createRedisSpend } from './records.js';
import { createRecordWriter } from './record-writer.js';
import { createRedisRetention } from './retention.js';
import { createRedisRuns } from './runs.js';
import { createTenantIndex } from './tenant-index.js';
import type { AlertThresholds, Store } from '../records.js';
import { createRedisAlerts } from './alerts.js';

export interface RedisStoreOptions {
  /** `redis://host:port[/db]`, or comma-separated `redis://host:port` Cluster nodes. */
  readonly url: string;
  /** Prefix of every key (default "runcap:"); must not contain '{' or '}'. Tests use a random one. */
  readonly keyPrefix?: string;
  /** A live reservation expires once expiresAt + skewToleranceMs <= now (default 5000). */
  readonly skewToleranceMs?: number;
  /** Per-command timeout, so a stalled Redis fails fast as ledger_unavailable (default 1000). */
  readonly commandTimeoutMs?: number;
  /** Connect timeout (default 1000). */
  readonly connectTimeoutMs?: number;
  /** How long settled reservations, their attribution and decision records are kept (default 30 days). */
  readonly retentionMs?: number;
  /**
   * Tests only: a fake clock (epoch ms) sent to every script in place of Redis TIME.
   * Production never sets it: all instances then share the Redis server's clock.
   */
  readonly clockOverride?: () => number;
  /** Threshold alerts per tenant, in basis points (docs/design.md §12); default: none. */
  readonly alertThresholds?: AlertThresholds;
  /** A decision record write that failed in the background (they are written behind: record-writer.ts). */
  readonly onBackgroundError?: (error: unknown) => void;
  /** Tests only: how long a decision record waits for its settlement (default HOLD_MS, 50 ms). */
  readonly recordHoldMs?: number;
}

export const DEFAULT_REDIS_SKEW_TOLERANCE_MS = 5_000;
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1_000;
export const DEFAULT_REDIS_RETENTION_MS = 30 * 86_400_000;

function positiveInteger(value: number, name: string, allowZero = false): number {
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${value}`);
  }
  return value;
}

export async function openRedisStore(options: RedisStoreOptions): Promise<Store> {
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  assertKeyPrefix(prefix);
  const skewToleranceMs = positiveInteger(
    options.skewToleranceMs ?? DEFAULT_REDIS_SKEW_TOLERANCE_MS,
    'skewToleranceMs',
    true,
  );
  const commandTimeoutMs = positiveInteger(
    options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    'commandTimeoutMs',
  );
  const connectTimeoutMs = positiveInteger(options.connectTimeoutMs ?? commandTimeoutMs, 'connectTimeoutMs');
  const retentionMs = positiveInteger(options.retentionMs ?? DEFAULT_REDIS_RETENTION_MS, 'retentionMs');
  const clockOverride = options.clockOverride ?? null;

  const client = await connectRedis({ url: options.url, commandTimeoutMs, connectTimeoutMs });
  const index = createTenantIndex(client, globalKeys(prefix));
  const records = createRecordWriter(
    client,
    prefix,
    index,
    retentionMs,
    options.onBackgroundError ?? (() => undefined),
    options.recordHoldMs,
  );
  let closing: Promise<void> | null = null;
  // What is queued is written first: a clean shutdown loses no decision record.
  const close = (): Promise<void> => (closing ??= records.close().then(() => closeRedis(client)));
  const ledger = createRedisLedger({
    client,
    prefix,
    index,
    clockOverride,
    skewToleranceMs,
    retentionMs,
    close,
    alertThresholds: options.alertThresholds ?? (() => []),
  });
  return {
    ledger,
    runs: createRedisRuns(client, prefix, clockOverride, index),
    retention: createRedisRetention(client, prefix, index),
    decisions: createRedisDecisions(client, prefix, index, records),
    spend: createRedisSpend(client, prefix, index),
    chains: createRedisChains(client, prefix, retentionMs),
    alerts: createRedisAlerts(client, prefix, index, clockOverride),
    close: () => guardedRedis(close),
  };
}
