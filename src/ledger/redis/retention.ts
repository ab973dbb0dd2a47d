// Retention pruning on Redis (docs/ledger.md "Retention"): runs the prune script on each
// tenant's slot, in batches, until the tenant has nothing more to prune or `limit` rows of a
// kind were deleted. Mirrors ../sqlite/retention.ts; what Redis expires by itself is not counted.
import { guardedRedis } from './client.js';
import { tenantKeys } from './keys.js';
import { asArray, asInteger } from './reply.js';
import { runScript, SCRIPTS, type RedisClient } from './scripts.js';
import type { TenantIndex } from './tenant-index.js';
import type { PruneCounts, RetentionStore } from '../records.js';

export function createRedisRetention(client: RedisClient, prefix: string, index: TenantIndex): RetentionStore {
  return {
    prune: (beforeMs, limit) =>
      guardedRedis(async (): Promise<PruneCounts> => {
        const limitRows = Math.max(1, Math.trunc(limit));
        const total = { runs: 0, reservations: 0, scopes: 0 };
        for (const tenant of await index.tenants()) {
          const keys = tenantKeys(prefix, tenant);
          let offset = 0;
          for (;;) {
            // Never more than `limit` rows of a kind in one call.
            const batch = limitRows - Math.max(total.runs, total.reservations);
            if (batch <= 0) return total;
            const reply = asArray(
              await runScript(
                client,
                SCRIPTS.prune,
                [keys.allRuns, keys.settled],
                [keys.base, String(Math.floor(beforeMs)), String(batch), String(offset)],
              ),
              'prune reply',
            ).map((value, i) => asInteger(value, `prune reply ${i}`));
            const [reservations = 0, runs = 0, scopes = 0, kept = 0, seen = 0] = reply;
            total.reservations += reservations;
            total.runs += runs;
            total.scopes += scopes;
            // Runs that stay are skipped by offset; deleted ones leave the index.
            offset += kept;
            if (seen < batch && reservations < batch) break;
          }
        }
        return total;
      }),
  };
}
