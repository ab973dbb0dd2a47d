// Responses API chains on SQLite: what each response was billed, by (tenant, response id),
// pruned with the decision records. Knows nothing of HTTP.
import type Database from 'better-sqlite3';
import { guarded } from './db.js';
import type { ChainStore, ChainTokens } from '../records.js';
import { LedgerError } from '../types.js';

function assertTokens(tokens: ChainTokens): void {
  for (const [name, value] of Object.entries(tokens)) {
    if (!Number.isSafeInteger(value) || (value as number) < 0)
      throw new LedgerError('invalid_amount', `${name} must be a non-negative integer, got ${String(value)}`);
  }
}

export function createSqliteChains(
  db: Database.Database,
  clock: () => number,
): ChainStore & { prune(beforeMs: number): number } {
  const upsert = db.prepare<[string, string, number, number, number]>(
    `INSERT INTO response_chains (tenant, response_id, input_tokens, output_tokens, created_at_ms) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tenant, response_id) DO UPDATE SET input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens`,
  );
  const select = db.prepare<[string, string], { input_tokens: number; output_tokens: number }>(
    'SELECT input_tokens, output_tokens FROM response_chains WHERE tenant = ? AND response_id = ?',
  );
  const prune = db.prepare<[number]>('DELETE FROM response_chains WHERE created_at_ms < ?');
  return {
    remember: (tenant, responseId, tokens) =>
      guarded(() => {
        assertTokens(tokens);
        upsert.run(tenant, responseId, tokens.inputTokens, tokens.outputTokens, clock());
      }),
    lookup: (tenant, responseId) =>
      guarded(() => {
        const row = select.get(tenant, responseId);
        return row === undefined ? null : { inputTokens: row.input_tokens, outputTokens: row.output_tokens };
      }),
    prune: (beforeMs) => prune.run(beforeMs).changes,
  };
}
