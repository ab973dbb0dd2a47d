// Opens the Store the configuration names: SQLite (embedded default) or Redis (loaded on
// demand, so a SQLite deployment never loads ioredis). Knows only the part of the
// configuration it reads (StoreConfig, which config/types.ts's Config satisfies), so the
// ledger never imports the configuration that names its types.
import type { AlertThresholds, Store } from './records.js';
import { openSqliteStore, type SqliteSynchronous } from './sqlite/index.js';

/** The part of the configuration that names the store. */
export interface StoreConfig {
  readonly ledger:
    | { readonly kind: 'sqlite'; readonly path: string; readonly synchronous: SqliteSynchronous }
    | { readonly kind: 'redis'; readonly url: string };
  readonly retentionDays: number;
}

export interface OpenStoreOptions {
  /** SQLite decides with this clock (Redis uses its own TIME). */
  readonly clock?: () => number;
  readonly onBackgroundError?: (error: unknown) => void;
  /** Threshold alerts per tenant, in basis points (docs/design.md §12); default: none. */
  readonly alertThresholds?: AlertThresholds;
}

export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<Store> {
  if (config.ledger.kind === 'sqlite') {
    return openSqliteStore({ path: config.ledger.path, synchronous: config.ledger.synchronous, ...options });
  }
  const { openRedisStore } = await import('./redis/index.js');
  return openRedisStore({
    url: config.ledger.url,
    retentionMs: config.retentionDays * 86_400_000,
    ...(options.alertThresholds ? { alertThresholds: options.alertThresholds } : {}),
    ...(options.onBackgroundError ? { onBackgroundError: options.onBackgroundError } : {}),
  });
}
