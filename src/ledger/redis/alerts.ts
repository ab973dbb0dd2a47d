// Threshold alerts' outbox on Redis (docs/design.md §12, docs/ledger-redis.md): the commit and
// expire scripts queue alerts (lua/alerts.lua); this is the deliverer's side: lease the due ones
// (one script per tenant), then mark each delivered, dropped or retried (one script each). Mirrors
// ../sqlite/alerts.ts. No HTTP, no delivery.
import { guardedRedis } from './client.js';
import { tenantKeys } from './keys.js';
import { asArray, asInteger, asString, toFields } from './reply.js';
import { runScript, SCRIPTS, type RedisClient } from './scripts.js';
import type { TenantIndex } from './tenant-index.js';
import type { AlertStore, PendingAlert } from '../records.js';

export function createRedisAlerts(
  client: RedisClient,
  prefix: string,
  index: TenantIndex,
  clockOverride: (() => number) | null,
): AlertStore {
  const nowArg = (): string => (clockOverride === null ? '' : String(Math.floor(clockOverride())));
  const settle = async (alert: PendingAlert, action: string, delayMs = 0, error = ''): Promise<void> => {
    const keys = tenantKeys(prefix, alert.tenant);
    await runScript(
      client,
      SCRIPTS.alertsSettle,
      [keys.alertsDue, keys.alert(alert.id)],
      [nowArg(), action, alert.id, String(Math.max(0, Math.trunc(delayMs))), error.slice(0, 500)],
    );
  };
  return {
    claimDue: (leaseMs, limit, tenants) =>
      guardedRedis(async () => {
        const claimed: PendingAlert[] = [];
        // One script per tenant: only the tenants named (those with alerts), not every tenant.
        for (const tenant of tenants ?? (await index.tenants())) {
          const want = Math.trunc(limit) - claimed.length;
          if (want <= 0) break;
          const keys = tenantKeys(prefix, tenant);
          const reply = await runScript(
            client,
            SCRIPTS.alertsClaim,
            [keys.alertsDue],
            [keys.base, nowArg(), String(Math.trunc(leaseMs)), String(want)],
          );
          for (const entry of asArray(reply, 'alerts claim reply')) {
            const [id, raw] = asArray(entry, 'alert entry');
            const fields = toFields(raw, 'alert');
            const field = (name: string): string => asString(fields.get(name), `alert ${name}`);
            claimed.push({
              id: asString(id, 'alert id'),
              tenant,
              runId: field('run_id'),
              keyId: field('key_id'),
              thresholdBp: asInteger(field('bp'), 'bp'),
              limitMicros: asInteger(field('limit'), 'limit'),
              committedMicros: asInteger(field('committed'), 'committed'),
              crossedAtMs: asInteger(field('at'), 'at'),
              attempts: asInteger(field('attempts'), 'attempts'),
            });
          }
        }
        return claimed;
      }),
    delivered: (alert) => guardedRedis(() => settle(alert, 'delivered')),
    retryLater: (alert, delayMs, error) => guardedRedis(() => settle(alert, 'retry', delayMs, error)),
    drop: (alert, reason) => guardedRedis(() => settle(alert, 'dropped', 0, reason)),
    pending: (tenants) =>
      guardedRedis(async () => {
        let total = 0;
        for (const tenant of tenants ?? (await index.tenants()))
          total += await client.zcard(tenantKeys(prefix, tenant).alertsDue);
        return total;
      }),
  };
}
