// Tenant model allow/deny lists with "*" globs (config `models`). Pure.
import type { TenantPolicy } from '../config/types.js';

const cache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    re = new RegExp(
      `^${glob
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    cache.set(glob, re);
  }
  return re;
}

export function isModelAllowed(tenant: TenantPolicy, model: string): boolean {
  const matches = (glob: string): boolean => globToRegExp(glob).test(model);
  return tenant.models.allow.some(matches) && !tenant.models.deny.some(matches);
}
