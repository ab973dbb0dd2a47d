// Opens the Store the configuration names: SQLite (embedded default) or Redis.
import type { Config } from '../config/types.js';
import type { Store } from './records.js';
import { openSqliteStore } from './sqlite-store.js';

export async function openStore(config: Config, onBackgroundError?: (error: unknown) => void): Promise<Store> {
  if (config.ledger.kind === 'sqlite') {
    return openSqliteStore({ path: config.ledger.path, synchronous: config.ledger.synchronous, ...(onBackgroundError ? { onBackgroundError } : {}) });
  }
  const { openRedisStore } = await import('./redis-store.js');
  return openRedisStore({ url: config.ledger.url, retentionMs: config.retentionDays * 86_400_000 });
}
