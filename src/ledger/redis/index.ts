// The Redis backend's only door: the store opener (multi-instance, standalone or Cluster) and
// what its tests reach for (the script registry and the shared Lua prelude). Nothing outside
// ledger/redis/ imports another file of this folder; this folder imports only the seam at ledger/.
export { openRedisStore, type RedisStoreOptions } from './store.js';
export { LUA_PRELUDE, SCRIPTS, type LedgerScript } from './scripts.js';
