import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGroupCommit, type GroupCommit } from './group-commit.js';
import { LedgerError } from '../types.js';

describe('group commit', () => {
  let dir: string;
  let db: Database.Database;
  let other: Database.Database;
  let group: GroupCommit;
  const count = (from: Database.Database): number =>
    (from.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runcap-group-'));
    db = new Database(join(dir, 'l.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    other = new Database(join(dir, 'l.db'));
    other.pragma('busy_timeout = 0');
    group = createGroupCommit(db);
  });
  afterEach(() => {
    other.close();
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the operations of one turn in one transaction and settles each after it committed', async () => {
    const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    const seenByOther: number[] = [];
    const ops = [1, 2, 3].map((id) =>
      group.run(() => {
        expect(db.inTransaction).toBe(true);
        // The earlier operations of this turn are not committed yet: another connection sees none of them.
        seenByOther.push(count(other));
        insert.run(id, `v${id}`);
        return id * 10;
      }),
    );
    const results = await Promise.all(ops.map((op) => op.then((value) => ({ value, visible: count(other) }))));
    expect(seenByOther).toEqual([0, 0, 0]);
    expect(results).toEqual([
      { value: 10, visible: 3 },
      { value: 20, visible: 3 },
      { value: 30, visible: 3 },
    ]);
  });

  it('closes the batch as its task ends once the oldest operation has waited 1 ms, not at the end of the turn', async () => {
    const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    let turnEnded = false;
    setImmediate(() => {
      turnEnded = true;
    });
    const ranBeforeTurnEnd: boolean[] = [];
    const first = group.run(() => ranBeforeTurnEnd.push(!turnEnded) && insert.run(1, 'a').changes);
    const until = performance.now() + 3;
    while (performance.now() < until); // a heavy callback: another call's parsing and counting
    const second = group.run(() => ranBeforeTurnEnd.push(!turnEnded) && insert.run(2, 'b').changes);
    expect(await Promise.all([first, second])).toEqual([1, 1]);
    expect(ranBeforeTurnEnd).toEqual([true, true]);
  });

  it('keeps waiting for the end of the turn while the oldest operation is younger than 1 ms', async () => {
    const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    let turnEnded = false;
    setImmediate(() => {
      turnEnded = true;
    });
    const ranAfterTurnEnd: boolean[] = [];
    const ops = [1, 2].map((id) => group.run(() => ranAfterTurnEnd.push(turnEnded) && insert.run(id, 'x').changes));
    expect(await Promise.all(ops)).toEqual([1, 1]);
    expect(ranAfterTurnEnd).toEqual([true, true]);
  });

  it('undoes only the failing operation', async () => {
    const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    const first = group.run(() => insert.run(1, 'a').changes);
    const failing = group.run(() => {
      insert.run(2, 'b');
      throw new LedgerError('invalid_transition', 'no');
    });
    const third = group.run(() => insert.run(3, 'c').changes);
    await expect(failing).rejects.toMatchObject({ code: 'invalid_transition' });
    expect(await first).toBe(1);
    expect(await third).toBe(1);
    expect(other.prepare('SELECT id FROM t ORDER BY id').all()).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it('fails every operation of a batch whose transaction cannot start, and writes none of them', async () => {
    db.pragma('busy_timeout = 0');
    other.exec('BEGIN IMMEDIATE');
    const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    const ops = [1, 2].map((id) => group.run(() => insert.run(id, 'x')));
    for (const op of ops) await expect(op).rejects.toMatchObject({ code: 'ledger_unavailable' });
    other.exec('ROLLBACK');
    expect(count(other)).toBe(0);
    // The next turn works again.
    await group.run(() => insert.run(9, 'y'));
    expect(count(other)).toBe(1);
  });

  it('writes queued bookkeeping in the same batch, and keeps it when the batch fails', async () => {
    const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    let queue: number[] = [5, 6];
    const failures: unknown[] = [];
    group.addWriter({
      pending: () => queue.length > 0,
      write: () => {
        for (const id of queue) insert.run(id, 'bookkeeping');
        return () => {
          queue = [];
        };
      },
      failed: (error) => failures.push(error),
    });
    db.pragma('busy_timeout = 0');
    other.exec('BEGIN IMMEDIATE');
    group.wake();
    await new Promise((resolve) => setImmediate(resolve));
    other.exec('ROLLBACK');
    expect(failures).toHaveLength(1);
    expect(queue).toEqual([5, 6]);
    await group.run(() => insert.run(1, 'op'));
    expect(queue).toEqual([]);
    expect(other.prepare('SELECT id FROM t ORDER BY id').all()).toEqual([{ id: 1 }, { id: 5 }, { id: 6 }]);
  });

  it('flush runs what is queued at once; operations queued on a closed store fail', async () => {
    const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    const op = group.run(() => insert.run(1, 'a').changes);
    group.flush();
    expect(count(other)).toBe(1);
    expect(await op).toBe(1);
    const late = group.run(() => insert.run(2, 'b'));
    db.close();
    await expect(late).rejects.toMatchObject({ code: 'ledger_unavailable' });
  });
});
