// SQLite-only behaviour of the store: migrations (order, idempotence, concurrent
// openers, edited or unknown files), pragmas, folder creation, durability across a
// killed process, and ledger_unavailable after close.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LedgerError, loadMigrations, migrate, openSqliteStore } from '../src/ledger/index.js';
import { openDatabase } from '../src/ledger/sqlite/index.js';
import { assertLedgerBuilt, spawnRaceWorkers } from './support/ledger-race.js';

const dir = mkdtempSync(join(tmpdir(), 'runcap-ledger-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const freshPath = (): string => join(dir, `${randomUUID()}.sqlite`);

function migrationsDir(files: Readonly<Record<string, string>>): URL {
  const folder = join(dir, `migrations-${randomUUID()}`);
  mkdirSync(folder);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(folder, name), sql);
  return pathToFileURL(`${folder}/`);
}

const versions = (db: Database.Database): string[] =>
  db
    .prepare<[], { version: string }>('SELECT version FROM schema_migrations ORDER BY version')
    .all()
    .map((row) => row.version);

describe('migrations', () => {
  it('applies files in numeric order, once, and records them', () => {
    const folder = migrationsDir({
      '10_c.sql': 'CREATE TABLE c (id INTEGER); INSERT INTO c VALUES ((SELECT count(*) FROM b));',
      '2_b.sql': 'CREATE TABLE b (id INTEGER); INSERT INTO b SELECT id FROM a;',
      '1_a.sql': 'CREATE TABLE a (id INTEGER); INSERT INTO a VALUES (1);',
      'README.md': 'not a migration',
    });
    const db = new Database(':memory:');
    expect(migrate(db, loadMigrations(folder))).toEqual(['1_a.sql', '2_b.sql', '10_c.sql']);
    expect(migrate(db, loadMigrations(folder))).toEqual([]);
    expect(versions(db)).toEqual(['10_c.sql', '1_a.sql', '2_b.sql']);
    expect(db.prepare<[], { id: number }>('SELECT id FROM c').get()?.id).toBe(1);
    db.close();
  });

  it('a failing migration rolls back entirely and is not recorded', () => {
    const folder = migrationsDir({
      '1_ok.sql': 'CREATE TABLE ok (id INTEGER);',
      '2_bad.sql': 'CREATE TABLE half (id INTEGER); INSERT INTO missing VALUES (1);',
    });
    const db = new Database(':memory:');
    expect(() => migrate(db, loadMigrations(folder))).toThrow(/missing/);
    expect(versions(db)).toEqual(['1_ok.sql']);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    db.close();
  });

  it('refuses an applied file that was edited, and a database from a newer build', () => {
    const db = new Database(':memory:');
    migrate(db, loadMigrations(migrationsDir({ '1_a.sql': 'CREATE TABLE a (id INTEGER);' })));
    expect(() => migrate(db, loadMigrations(migrationsDir({ '1_a.sql': 'CREATE TABLE a (id TEXT);' })))).toThrow(
      /1_a\.sql was changed/,
    );
    const newer = new Database(':memory:');
    migrate(newer, loadMigrations(migrationsDir({ '1_a.sql': 'SELECT 1;', '2_b.sql': 'SELECT 2;' })));
    expect(() => migrate(newer, loadMigrations(migrationsDir({ '1_a.sql': 'SELECT 1;' })))).toThrow(/2_b\.sql/);
    db.close();
    newer.close();
  });

  it('the shipped migrations open a store twice on one file without re-applying', async () => {
    const path = freshPath();
    const first = openSqliteStore({ path });
    await first.close();
    const second = openSqliteStore({ path });
    await second.close();
    const db = new Database(path, { readonly: true });
    expect(versions(db)).toEqual(loadMigrations().map((migration) => migration.version));
    db.close();
  });

  it('011 moves the scope links of existing reservations into their rows, in order', async () => {
    const path = freshPath();
    const old = new Database(path);
    migrate(
      old,
      loadMigrations().filter((migration) => migration.version < '011'),
    );
    const now = Date.now();
    old
      .prepare(
        `INSERT INTO reservations (id, tenant, decision_id, amount_micros, state, model, price_table_version, key_id,
          endpoint, run_id, created_at_ms, expires_at_ms) VALUES (?, 't', 'd', 500, 'forwarded', 'm', 'v', 'k', 'chat',
          'r1', ?, ?)`,
      )
      .run('live', now, now + 600_000);
    const scope = old.prepare(
      `INSERT INTO scopes (tenant, scope_key, scope_type, scope_id, scope_window, limit_micros, mode, reserved_micros,
        updated_at_ms) VALUES ('t', ?, ?, ?, 'none', ?, 'hard_gate', ?, ?)`,
    );
    scope.run('run|none|-|r1', 'run', 'r1', 10_000, 500, now);
    scope.run('feature|none|-|a|b', 'feature', 'a|b', null, 0, now);
    const link = old.prepare(
      'INSERT INTO reservation_scopes (reservation_id, position, scope_key, scope_type, scope_id, held) VALUES (?, ?, ?, ?, ?, ?)',
    );
    link.run('live', 1, 'feature|none|-|a|b', 'feature', 'a|b', 0);
    link.run('live', 0, 'run|none|-|r1', 'run', 'r1', 1);
    old.close();

    const store = openSqliteStore({ path });
    const expected = [
      { key: 'run|none|-|r1', type: 'run', id: 'r1', held: true },
      { key: 'feature|none|-|a|b', type: 'feature', id: 'a|b', held: false },
    ];
    expect((await store.ledger.getReservation('live'))?.scopes).toEqual(expected);
    const settled = await store.ledger.commit('live', { actualMicros: 300, usageSource: 'provider' });
    expect(settled.reservation.scopes).toEqual(expected);
    const view = await store.ledger.view('t', [
      { type: 'run', id: 'r1', window: 'none', limitMicros: 10_000, mode: 'hard_gate' },
    ]);
    expect(view[0]).toMatchObject({ committedMicros: 300, reservedMicros: 0 });
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'reservation_scopes'").get()).toBeUndefined();
    db.close();
  });

  it('several processes opening a new file at once migrate it exactly once', async () => {
    const path = join(dir, `nested-${randomUUID()}`, 'deeper', 'ledger.sqlite');
    const results = await spawnRaceWorkers({ backend: 'sqlite', options: { path } })(4, { op: 'expire', nowMs: 0 });
    expect(results.flatMap((result) => result.errors)).toEqual([]);
    const db = new Database(path, { readonly: true });
    expect(versions(db)).toEqual(loadMigrations().map((migration) => migration.version));
    db.close();
  });
});

describe('sqlite store', () => {
  it('uses WAL, the requested synchronous level and a busy timeout', () => {
    for (const [level, expected] of [
      [undefined, 1],
      ['NORMAL', 1],
      ['FULL', 2],
    ] as const) {
      const db = openDatabase(level === undefined ? { path: freshPath() } : { path: freshPath(), synchronous: level });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(expected);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5_000);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      db.close();
    }
  });

  it('keeps committed money when the process is killed without closing', () => {
    assertLedgerBuilt();
    const path = freshPath();
    const script = `
      const { openSqliteStore } = await import(${JSON.stringify(new URL('../dist/ledger/index.js', import.meta.url).href)});
      const store = openSqliteStore({ path: ${JSON.stringify(path)} });
      const scopes = [{ type: 'run', id: 'r1', window: 'none', limitMicros: 1000, mode: 'hard_gate' }];
      const attribution = { runId: 'r1', keyId: 'k', userId: null, teamId: null, feature: null, endpoint: 'e' };
      const base = { decisionId: 'd', tenant: 't', scopes, ttlMs: 600000, model: 'm', priceTableVersion: 'v', attribution };
      await store.ledger.reserve({ ...base, reservationId: 'a', amountMicros: 400 });
      await store.ledger.commit('a', { actualMicros: 250, usageSource: 'provider' });
      await store.ledger.reserve({ ...base, reservationId: 'b', amountMicros: 300 });
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    const store = openSqliteStore({ path });
    return store.ledger
      .view('t', [{ type: 'run', id: 'r1', window: 'none', limitMicros: 1000, mode: 'hard_gate' }])
      .then((views) => {
        expect(views[0]).toMatchObject({ committedMicros: 250, reservedMicros: 300 });
        return store.close();
      });
  });

  it('creates the parent folder and accepts :memory:', async () => {
    const path = join(dir, `made-${randomUUID()}`, 'a', 'b', 'ledger.sqlite');
    const store = openSqliteStore({ path });
    await expect(store.ledger.ping()).resolves.toBeUndefined();
    await store.close();
    const memory = openSqliteStore({ path: ':memory:' });
    await expect(memory.ledger.ping()).resolves.toBeUndefined();
    await memory.close();
  });

  it('fails every call with ledger_unavailable after close; close is idempotent', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await store.close();
    await store.close();
    const error = await store.ledger.ping().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LedgerError);
    expect(error instanceof LedgerError ? error.code : null).toBe('ledger_unavailable');
    await expect(store.runs.get('t', 'r')).rejects.toMatchObject({ code: 'ledger_unavailable' });
  });

  it('rejects a bad synchronous level', () => {
    // @ts-expect-error -- deliberately invalid at runtime
    expect(() => openSqliteStore({ path: ':memory:', synchronous: 'OFF' })).toThrow(/NORMAL or FULL/);
  });
});
