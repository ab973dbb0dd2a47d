// SQLite decision records are written behind: one bad record fails its own call and not
// its batch; writes after close are refused; close writes what is queued.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/ledger/index.js';
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
});
