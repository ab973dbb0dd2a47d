// The two small global structures of the Redis ledger: reservation id -> tenant (id-only
// calls must find the tenant's slot before running a script there) and the set of
// tenants the sweeper scans. Neither holds money; scripts never touch them.
import { setBounded } from '../../bounded-map.js';
import type { RedisClient } from './scripts.js';
import type { GlobalKeys } from './keys.js';

/** Cached id -> tenant entries per process; the mapping never changes, so the cache is always right. */
const CACHE_LIMIT = 20_000;
/** How long this process trusts that it already added a tenant to the tenants set. */
const REMEMBER_EVERY_MS = 60_000;

export type ClaimResult = 'claimed' | 'same' | 'other';

export interface TenantIndex {
  /** Records id -> tenant before a reserve; 'other' when the id belongs to another tenant. */
  claim(id: string, tenant: string, ttlMs: number): Promise<ClaimResult>;
  /** The entry's key, for a reserve script that claims it itself (standalone Redis). */
  key(id: string): string;
  /** Caches an entry a reserve script claimed (or found) for this tenant. */
  note(id: string, tenant: string): void;
  /** Drops an entry this process claimed for a reserve that wrote nothing under that id. */
  forget(id: string): Promise<void>;
  /** Keeps the entry at least ttlMs longer (a hold whose expiry was pushed out). */
  keepFor(id: string, ttlMs: number): Promise<void>;
  lookup(id: string): Promise<string | null>;
  /** Notes a tenant in the tenants set (at most once a minute per process). */
  remember(tenant: string): Promise<void>;
  tenants(): Promise<readonly string[]>;
}

export function createTenantIndex(client: RedisClient, keys: GlobalKeys): TenantIndex {
  const cache = new Map<string, string>();
  const remembered = new Map<string, number>();
  const cacheSet = (id: string, tenant: string): void => setBounded(cache, id, tenant, CACHE_LIMIT);

  return {
    async claim(id, tenant, ttlMs) {
      // SET NX GET (Redis 7): creates the entry, or returns the tenant already there.
      const previous = await client.set(keys.reservationTenant(id), tenant, 'PX', Math.ceil(ttlMs), 'NX', 'GET');
      if (previous === null) {
        cacheSet(id, tenant);
        return 'claimed';
      }
      if (previous === tenant) cacheSet(id, tenant);
      return previous === tenant ? 'same' : 'other';
    },
    key: (id) => keys.reservationTenant(id),
    note: cacheSet,
    async forget(id) {
      cache.delete(id);
      await client.del(keys.reservationTenant(id));
    },
    async keepFor(id, ttlMs) {
      await client.pexpire(keys.reservationTenant(id), Math.ceil(ttlMs), 'GT');
    },
    async lookup(id) {
      const cached = cache.get(id);
      if (cached !== undefined) return cached;
      const tenant = await client.get(keys.reservationTenant(id));
      if (tenant !== null) cacheSet(id, tenant);
      return tenant;
    },
    async remember(tenant) {
      const now = Date.now();
      if (now - (remembered.get(tenant) ?? 0) < REMEMBER_EVERY_MS) return;
      await client.sadd(keys.tenants, tenant);
      remembered.set(tenant, now);
      if (remembered.size > CACHE_LIMIT) remembered.clear();
    },
    tenants: () => client.smembers(keys.tenants),
  };
}
