// SQLite decision records are written behind: one bad record fails its own call and not
// its batch; writes after close are refused; close writes what is queued; a settlement is stored
// beside its record (migration 010) and records settled before that migration read as they did.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate, openSqliteStore } from '../src/ledger/index.js';
import { LedgerError } from '../src/ledger/index.js';

const dir = mkdtempSync(join(tmpdir(), 'runcap-records-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const decision = (id: string, record: Record<string, unknown>) => ({
  id,
  tenant: 't',
  keyId: 'k',
  createdAtMs: Date.now(),
  record,
});

describe('sqlite decision records, written behind', () => {
  it('refuses an unserialisable record on its own call and keeps its neighbours', async () => {
    const store = openSqliteStore({ path: join(dir, 'a.sqlite') });
    await store.decisions.put(decision('good1', { a: 1 }));
    await expect(store.decisions.put(decision('bad', { n: 1n }))).rejects.toBeInstanceOf(LedgerError);
    await store.decisions.put(decision('good2', { b: 2 }));
    await store.decisions.patch('good1', { settled: true });
    expect((await store.decisions.get('good1'))?.record).toEqual({ a: 1, settled: true });
    expect((await store.decisions.get('good2'))?.record).toEqual({ b: 2 });
    expect(await store.decisions.get('bad')).toBeNull();
    await store.close();
  });

  it('writes the queue on close and refuses writes after it', async () => {
    const path = join(dir, 'b.sqlite');
    const store = openSqliteStore({ path });
    await store.decisions.put(decision('queued', { c: 3 }));
    await store.close();
    await expect(store.decisions.put(decision('late', { d: 4 }))).rejects.toMatchObject({ code: 'ledger_unavailable' });
    const reopened = openSqliteStore({ path });
    expect((await reopened.decisions.get('queued'))?.record).toEqual({ c: 3 });
    await reopened.close();
  });

  it('reads records settled before migration 010 as they were, and settles either kind', async () => {
    const path = join(dir, 'c.sqlite');
    const old = new Database(path);
    migrate(
      old,
      loadMigrations().filter((migration) => migration.version < '010'),
    );
    const insert = old.prepare(
      'INSERT INTO decisions (id, tenant, key_id, run_id, created_at_ms, record) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // Settled the old way: the settlement's keys inside the record.
    insert.run('settled', 't', 'k', 'r', 1, JSON.stringify({ a: 1, state: 'settled', actual_usd: '0.10' }));
    insert.run('pending', 't', 'k', 'r', 2, JSON.stringify({ b: 2, state: 'pending', actual_usd: null }));
    old.close();

    const store = openSqliteStore({ path });
    expect((await store.decisions.get('settled'))?.record).toEqual({ a: 1, state: 'settled', actual_usd: '0.10' });
    await store.decisions.patch('pending', { state: 'settled', actual_usd: '0.20', usage: { input_tokens: 3 } });
    await store.decisions.patch('settled', { state: 'reconciled', late: true });
    const pending = await store.decisions.get('pending');
    expect(pending?.record).toEqual({ b: 2, state: 'settled', actual_usd: '0.20', usage: { input_tokens: 3 } });
    // The record's own keys keep their place; the settlement's new keys follow.
    expect(Object.keys(pending?.record ?? {})).toEqual(['b', 'state', 'actual_usd', 'usage']);
    expect((await store.decisions.get('settled'))?.record).toEqual({
      a: 1,
      state: 'reconciled',
      actual_usd: '0.10',
      late: true,
    });
    const listed = await store.decisions.listByRun({ tenant: 't', runId: 'r', limit: 10 });
    expect(listed.map((stored) => stored.record['state'])).toEqual(['reconciled', 'settled']);
    // A key json_set cannot address takes the read-merge-write path, into the settlement too.
    await store.decisions.patch('pending', { 'odd key': 1 });
    expect((await store.decisions.get('pending'))?.record).toMatchObject({ b: 2, actual_usd: '0.20', 'odd key': 1 });
    await store.close();
  });
});
