// The SQLite backend's only door: the store opener (embedded, single node) and what its tests
// reach for (the database opener, the migration runner). Nothing outside ledger/sqlite/
// imports another file of this folder; this folder imports only the seam at ledger/.
export { openSqliteStore, DEFAULT_SKEW_TOLERANCE_MS, type SqliteStoreOptions } from './store.js';
export { openDatabase, type SqliteSynchronous } from './db.js';
export { loadMigrations, migrate, MIGRATIONS_DIR, type Migration } from './migrate.js';
