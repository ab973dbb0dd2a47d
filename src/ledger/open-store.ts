// Opens the Store the configuration names: SQLite (embedded default) or Redis (loaded on
// demand, so a SQLite deployment never loads ioredis).
import type { Config } from '../config/types.js';
import type { Store } from './records.js';
import { openSqliteStore } from './sqlite/index.js';

export interface OpenStoreOptions {
  /** SQLite decides with this clock (Redis uses its own TIME). */
  readonly clock?: () => number;
  readonly onBackgroundError?: (error: unknown) => void;
}

export async function openStore(config: Config, options: OpenStoreOptions = {}): Promise<Store> {
  if (config.ledger.kind === 'sqlite') {
    return openSqliteStore({ path: config.ledger.path, synchronous: config.ledger.synchronous, ...options });
  }
  const { openRedisStore } = await import('./redis/index.js');
  return openRedisStore({ url: config.ledger.url, retentionMs: config.retentionDays * 86_400_000 });
}
