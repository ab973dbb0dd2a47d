// Responses API chains on Redis: one string per response ("<input>,<output>") and one per
// conversation (its tokens, grown atomically by a script) in the tenant's slot, expiring with
// the retention window. Knows nothing of HTTP.
import { guardedRedis } from './client.js';
import { tenantKeys } from './keys.js';
import { runScript, SCRIPTS, type RedisClient } from './scripts.js';
import type { ChainStore } from '../records.js';
import { LedgerError } from '../types.js';

export function createRedisChains(client: RedisClient, prefix: string, retentionMs: number): ChainStore {
  const key = (tenant: string, responseId: string): string => `${tenantKeys(prefix, tenant).base}chain:${responseId}`;
  const conversationKey = (tenant: string, id: string): string => `${tenantKeys(prefix, tenant).base}conv:${id}`;
  const assertTokens = (tokens: Readonly<Record<string, number>>): void => {
    for (const [name, value] of Object.entries(tokens)) {
      if (!Number.isSafeInteger(value) || value < 0)
        throw new LedgerError('invalid_amount', `${name} must be a non-negative integer, got ${String(value)}`);
    }
  };
  return {
    remember: (tenant, responseId, tokens) =>
      guardedRedis(async () => {
        assertTokens({ ...tokens });
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
    conversationTokens: (tenant, conversationId) =>
      guardedRedis(async () => {
        const value = await client.get(conversationKey(tenant, conversationId));
        const tokens = value === null ? null : Number(value);
        return tokens !== null && Number.isSafeInteger(tokens) && tokens >= 0 ? tokens : null;
      }),
    growConversation: (tenant, conversationId, growth) =>
      guardedRedis(async () => {
        assertTokens({ billedTokens: growth.billedTokens, seenTokens: growth.seenTokens });
        await runScript(
          client,
          SCRIPTS.conversationGrow,
          [conversationKey(tenant, conversationId)],
          [String(growth.billedTokens), String(growth.seenTokens), String(retentionMs)],
        );
      }),
    forgetConversation: (tenant, conversationId) =>
      guardedRedis(async () => {
        await client.del(conversationKey(tenant, conversationId));
      }),
  };
}
