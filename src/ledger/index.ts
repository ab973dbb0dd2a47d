// The ledger's door: everything outside src/ledger/ imports from here. The seam (Ledger and
// Store types, LedgerError, scope keys and windows, the enforcement rule, input checks), the
// opener the configuration names, and the SQLite opener. The Redis opener stays behind
// ./redis/index.ts, loaded on demand by openStore, so a SQLite deployment never loads ioredis.
export { openStore, type OpenStoreOptions, type StoreConfig } from './open-store.js';
export {
  openSqliteStore,
  DEFAULT_SKEW_TOLERANCE_MS,
  loadMigrations,
  migrate,
  MIGRATIONS_DIR,
  type Migration,
  type SqliteStoreOptions,
  type SqliteSynchronous,
} from './sqlite/index.js';
export { LedgerError } from './types.js';
export type * from './types.js';
export type * from './records.js';
export { MAX_RUN_DEPTH } from './records.js';
export { scopeKey, parseScopeKey, windowStart, windowEnd, bucketLabel } from './windows.js';
export type { ParsedScopeKey } from './windows.js';
export { evaluateReserve, judgeScope, scopeHolds, scopeView } from './scope-rules.js';
export { assertAmountMicros, assertDurationMs, assertScopeSpecs, MAX_STEP_HASH_LENGTH } from './validate.js';
export {
  VELOCITY_BUCKET_MS,
  VELOCITY_WINDOW_MS,
  velocityRetryAfterMs,
  type StepState,
  type VelocityBucket,
} from './brake-rules.js';
