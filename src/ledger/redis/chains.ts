// Responses API chains on Redis: one string per response ("<input>,<output>") in the
// tenant's slot, expiring with the retention window. Knows nothing of HTTP.
import { guardedRedis } from './client.js';
import { tenantKeys } from './keys.js';
import type { RedisClient } from './scripts.js';
import type { ChainStore } from '../records.js';
import { LedgerError } from '../types.js';

export function createRedisChains(client: RedisClient, prefix: string, retentionMs: number): ChainStore {
  const key = (tenant: string, responseId: string): string => `${tenantKeys(prefix, tenant).base}chain:${responseId}`;
  return {
    remember: (tenant, responseId, tokens) =>
      guardedRedis(async () => {
        for (const [name, value] of Object.entries(tokens)) {
          if (!Number.isSafeInteger(value) || (value as number) < 0)
            throw new LedgerError('invalid_amount', `${name} must be a non-negative integer, got ${String(value)}`);
        }
        await client.set(key(tenant, responseId), `${tokens.inputTokens},${tokens.outputTokens}`, 'PX', retentionMs);
      }),
    lookup: (tenant, responseId) =>
      guardedRedis(async () => {
        const value = await client.get(key(tenant, responseId));
        if (value === null) return null;
        const [input, output] = value.split(',').map(Number);
        if (!Number.isSafeInteger(input) || !Number.isSafeInteger(output)) return null;
        return { inputTokens: input as number, outputTokens: output as number };
      }),
  };
}
