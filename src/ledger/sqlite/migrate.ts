// Applies migrations/*.sql to a SQLite database in filename order, each in its own
// BEGIN IMMEDIATE transaction and recorded in schema_migrations, so running it twice
// or from two processes at once applies each file exactly once. Owns no other schema.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';

/** migrations/ at the repo root: three levels above both src/ledger/sqlite/ and dist/ledger/sqlite/. */
export const MIGRATIONS_DIR = new URL('../../../migrations/', import.meta.url);

const MIGRATION_FILE = /^\d+_[A-Za-z0-9_.-]+\.sql$/;

export interface Migration {
  /** The file name, e.g. "001_init.sql"; also the version recorded once applied. */
  readonly version: string;
  readonly sql: string;
  /** sha256 of the file with line endings normalised. */
  readonly checksum: string;
}

export function loadMigrations(dir: URL = MIGRATIONS_DIR): readonly Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => MIGRATION_FILE.test(name));
  } catch (error) {
    throw new Error(`cannot read the migrations folder ${dir.pathname}: ${String(error)}`);
  }
  if (names.length === 0) throw new Error(`no migrations found in ${dir.pathname}`);
  return names.sort(compareVersions).map((version) => {
    const sql = readFileSync(new URL(version, dir), 'utf8').replace(/\r\n/g, '\n');
    return { version, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

/** Numeric prefix first (so 10_ follows 9_), then the full name. */
function compareVersions(a: string, b: string): number {
  const byNumber = Number.parseInt(a, 10) - Number.parseInt(b, 10);
  return byNumber !== 0 ? byNumber : a < b ? -1 : a > b ? 1 : 0;
}

interface AppliedRow {
  readonly version: string;
  readonly checksum: string;
}

/**
 * Brings the schema up to date; returns the versions applied by this call (empty when
 * another process, or an earlier start, already did). Fails when an applied file was
 * edited afterwards or the database holds a migration this build does not know.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = loadMigrations(),
  nowMs: number = Date.now(),
): readonly string[] {
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version TEXT NOT NULL PRIMARY KEY,
      checksum TEXT NOT NULL,
      applied_at_ms INTEGER NOT NULL
    )`);
  }).immediate();

  const known = new Set(migrations.map((migration) => migration.version));
  const stored = db.prepare<[], AppliedRow>('SELECT version, checksum FROM schema_migrations').all();
  const unknown = stored.filter((row) => !known.has(row.version));
  if (unknown.length > 0) {
    throw new Error(
      `the ledger database has migrations this runcap build does not know (${unknown.map((row) => row.version).join(', ')}); ` +
        'it was created by a newer version',
    );
  }

  const find = db.prepare<[string], AppliedRow>('SELECT version, checksum FROM schema_migrations WHERE version = ?');
  const record = db.prepare<[string, string, number]>(
    'INSERT INTO schema_migrations (version, checksum, applied_at_ms) VALUES (?, ?, ?)',
  );
  const applyOne = db.transaction((migration: Migration): boolean => {
    const applied = find.get(migration.version);
    if (applied !== undefined) {
      if (applied.checksum !== migration.checksum) {
        throw new Error(`migration ${migration.version} was changed after it was applied; add a new migration instead`);
      }
      return false;
    }
    db.exec(migration.sql);
    record.run(migration.version, migration.checksum, nowMs);
    return true;
  });

  const appliedNow: string[] = [];
  for (const migration of migrations) {
    if (applyOne.immediate(migration)) appliedNow.push(migration.version);
  }
  return appliedNow;
}
