// The ledger-outage rule (docs/design.md §3.4): advisory tenants fail open; blocking ones fail
// closed unless they chose `on_ledger_down: fail_open`. Pure.
import type { TenantPolicy } from '../config/types.js';

/** True when a tenant's calls go through unbudgeted while the ledger is unreachable. */
export function failsOpen(tenant: TenantPolicy): boolean {
  return tenant.onLedgerDown === 'fail_open' || onlyAdvisory(tenant);
}

/** True when no scope of the tenant can block (run and every configured limit advisory). */
export function onlyAdvisory(tenant: TenantPolicy): boolean {
  const limitModes = Object.values(tenant.limits).map((limit) => limit?.mode);
  return [tenant.run.mode, ...limitModes].every((mode) => mode === undefined || mode === 'advisory_estimate');
}
