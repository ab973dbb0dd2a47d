// Redis key layout of the ledger (docs/ledger-redis.md). Every key one reservation, run
// or scope touches carries the hash tag {<tenant>} so scripts run unchanged on Redis
// Cluster. Pure string building (a tenant's keys are built once and kept, bounded); no I/O, no
// script logic.
import { setBounded } from '../../bounded-map.js';

/** The default prefix of every key runcap writes. */
export const DEFAULT_KEY_PREFIX = 'runcap:';

/**
 * The tenant as it appears inside the hash tag: '%', '{' and '}' are percent-encoded
 * (so the tag is exactly the tenant and never ends early) and the empty tenant becomes
 * '%' (an empty tag `{}` would not be a hash tag at all). Injective.
 */
export function encodeTenant(tenant: string): string {
  if (tenant.length === 0) return '%';
  return tenant.replace(/[%{}]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function assertKeyPrefix(prefix: string): void {
  if (/[{}]/.test(prefix))
    throw new Error(`keyPrefix must not contain '{' or '}' (it would change the hash tag): ${prefix}`);
}

/** Keys of one tenant: all in the slot of `{<tenant>}`. */
export interface TenantKeys {
  /** `<prefix>{<tenant>}:`: scripts build scope, reservation and idempotency keys from it. */
  readonly base: string;
  reservation(id: string): string;
  idempotency(key: string): string;
  /** Sorted set: live reservation ids by expiresAtMs (what the sweeper scans). */
  readonly live: string;
  /** Sorted set: charged reservation ids by settledAtMs (spend attribution). */
  readonly settled: string;
  /** Sorted set: one run's charged reservation ids by settledAtMs (written by the scripts). */
  runSettled(runId: string): string;
  run(runId: string): string;
  /** Sorted set: runs of one key by active-until (lastActivity + idleTtl). */
  activeRuns(keyId: string): string;
  /** Sorted set: every run of the tenant by lastActivityAtMs (the listing order; retention's candidates). */
  readonly allRuns: string;
  /** Sorted set: the runs of one key by lastActivityAtMs. */
  runsByKey(keyId: string): string;
  /** Sorted set: one run's decision ids by createdAtMs (GET /budget/runs/{id}/calls). */
  runDecisions(runId: string): string;
  /** Sorted set: decision ids by createdAtMs (what prune reads). */
  readonly decisions: string;
  /** Sorted set: a run's children (sub-agent runs) by createdAtMs. */
  runChildren(runId: string): string;
  /** List: a run's ceiling changes, oldest first (JSON {at, by, from, to}). */
  runLimits(runId: string): string;
  /** Hash: a run's velocity buckets, second -> committed + reserved micro-USD (written by the scripts). */
  velocity(runId: string): string;
  /** Hash: a run's last step hash `h` and repeats in a row `n` (written by the reserve script). */
  steps(runId: string): string;
  /** Sorted set: queued threshold alert ids by next attempt (written by the commit and expire scripts). */
  readonly alertsDue: string;
  /** Hash: one queued threshold alert. */
  alert(id: string): string;
}

/** Built key sets by prefix, then tenant (every call builds keys; a tenant's never change). Bounded. */
const built = new Map<string, Map<string, TenantKeys>>();
const TENANTS_KEPT = 10_000;

export function tenantKeys(prefix: string, tenant: string): TenantKeys {
  let byTenant = built.get(prefix);
  if (byTenant === undefined) {
    byTenant = new Map();
    setBounded(built, prefix, byTenant, 64);
  }
  const known = byTenant.get(tenant);
  if (known !== undefined) return known;
  const keys = buildTenantKeys(prefix, tenant);
  setBounded(byTenant, tenant, keys, TENANTS_KEPT);
  return keys;
}

function buildTenantKeys(prefix: string, tenant: string): TenantKeys {
  const base = `${prefix}{${encodeTenant(tenant)}}:`;
  return {
    base,
    reservation: (id) => `${base}rsv:${id}`,
    idempotency: (key) => `${base}idem:${key}`,
    live: `${base}live`,
    settled: `${base}settled`,
    runSettled: (runId) => `${base}settled:run:${runId}`,
    run: (runId) => `${base}run:${runId}`,
    activeRuns: (keyId) => `${base}runs:active:${keyId}`,
    allRuns: `${base}runs:all`,
    runsByKey: (keyId) => `${base}runs:bykey:${keyId}`,
    decisions: `${base}decisions`,
    runDecisions: (runId) => `${base}decisions:run:${runId}`,
    runChildren: (runId) => `${base}runs:children:${runId}`,
    runLimits: (runId) => `${base}runlimits:${runId}`,
    velocity: (runId) => `${base}vel:${runId}`,
    steps: (runId) => `${base}steps:${runId}`,
    alertsDue: `${base}alerts:due`,
    alert: (id) => `${base}alert:${id}`,
  };
}

/** Keys outside any tenant's slot (each in its own slot). */
export interface GlobalKeys {
  /** Set of tenants that ever reserved or recorded a decision (the sweeper's work list). */
  readonly tenants: string;
  /** reservation id -> tenant, so id-only calls (commit, release, ...) find the tenant's slot. */
  reservationTenant(id: string): string;
  decision(id: string): string;
}

export function globalKeys(prefix: string): GlobalKeys {
  return {
    tenants: `${prefix}tenants`,
    reservationTenant: (id) => `${prefix}rsvtenant:${id}`,
    decision: (id) => `${prefix}dec:${id}`,
  };
}
