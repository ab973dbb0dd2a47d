// Public entry of the ledger module: the SQLite store factory and the seam types.
// Other modules import from here, not from backend files.
export { openSqliteStore, DEFAULT_SKEW_TOLERANCE_MS } from './sqlite-store.js';
export { openRedisStore } from './redis-store.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export type { SqliteSynchronous } from './sqlite-db.js';
export { LedgerError } from './types.js';
export type * from './types.js';
export type * from './records.js';
export { scopeKey, parseScopeKey, windowStart, windowEnd, bucketLabel } from './windows.js';
export type { ParsedScopeKey } from './windows.js';
export { evaluateReserve, judgeScope, scopeHolds, scopeView } from './scope-rules.js';
export { assertAmountMicros, assertDurationMs, assertScopeSpecs } from './validate.js';
export { loadMigrations, migrate, MIGRATIONS_DIR } from './migrate.js';
export type { Migration } from './migrate.js';
