// Responses API chains on SQLite: what each response was billed, by (tenant, response id), and
// what each conversation holds, by (tenant, conversation id); pruned with the decision records.
// Knows nothing of HTTP.
import type Database from 'better-sqlite3';
import { guarded, toLedgerError } from './db.js';
import type { GroupCommit } from './group-commit.js';
import type { ChainStore } from '../records.js';
import { LedgerError } from '../types.js';

function assertTokens(tokens: Readonly<Record<string, number>>): void {
  for (const [name, value] of Object.entries(tokens)) {
    if (!Number.isSafeInteger(value) || (value as number) < 0)
      throw new LedgerError('invalid_amount', `${name} must be a non-negative integer, got ${String(value)}`);
  }
}

export function createSqliteChains(
  db: Database.Database,
  clock: () => number,
  group: GroupCommit,
): ChainStore & { prune(beforeMs: number): number } {
  const upsert = db.prepare<[string, string, number, number, number]>(
    `INSERT INTO response_chains (tenant, response_id, input_tokens, output_tokens, created_at_ms) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tenant, response_id) DO UPDATE SET input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens`,
  );
  const select = db.prepare<[string, string], { input_tokens: number; output_tokens: number }>(
    'SELECT input_tokens, output_tokens FROM response_chains WHERE tenant = ? AND response_id = ?',
  );
  const prune = db.prepare<[number]>('DELETE FROM response_chains WHERE created_at_ms < ?');
  const grow = db.prepare<[{ tenant: string; id: string; billed: number; seen: number; now: number }]>(
    `INSERT INTO conversation_tokens (tenant, conversation_id, tokens, updated_at_ms) VALUES (@tenant, @id, @billed, @now)
     ON CONFLICT (tenant, conversation_id) DO UPDATE
     SET tokens = max(tokens, @billed + max(0, tokens - @seen)), updated_at_ms = @now`,
  );
  const conversation = db.prepare<[string, string], { tokens: number }>(
    'SELECT tokens FROM conversation_tokens WHERE tenant = ? AND conversation_id = ?',
  );
  const forget = db.prepare<[string, string]>(
    'DELETE FROM conversation_tokens WHERE tenant = ? AND conversation_id = ?',
  );
  /** Writes join the group commit's batch (group-commit.ts); checks fail the caller at once. */
  const write = (check: () => () => void): Promise<void> => {
    let step: () => void;
    try {
      step = check();
    } catch (error) {
      return Promise.reject(toLedgerError(error));
    }
    return group.run(step);
  };
  const pruneConversations = db.prepare<[number]>('DELETE FROM conversation_tokens WHERE updated_at_ms < ?');
  return {
    remember: (tenant, responseId, tokens) =>
      write(() => {
        assertTokens({ ...tokens });
        const nowMs = clock();
        return () => void upsert.run(tenant, responseId, tokens.inputTokens, tokens.outputTokens, nowMs);
      }),
    lookup: (tenant, responseId) =>
      guarded(() => {
        const row = select.get(tenant, responseId);
        return row === undefined ? null : { inputTokens: row.input_tokens, outputTokens: row.output_tokens };
      }),
    conversationTokens: (tenant, conversationId) =>
      guarded(() => conversation.get(tenant, conversationId)?.tokens ?? null),
    growConversation: (tenant, conversationId, growth) =>
      write(() => {
        assertTokens({ billedTokens: growth.billedTokens, seenTokens: growth.seenTokens });
        const now = clock();
        const { billedTokens: billed, seenTokens: seen } = growth;
        return () => void grow.run({ tenant, id: conversationId, billed, seen, now });
      }),
    forgetConversation: (tenant, conversationId) => write(() => () => void forget.run(tenant, conversationId)),
    prune: (beforeMs) => prune.run(beforeMs).changes + pruneConversations.run(beforeMs).changes,
  };
}
