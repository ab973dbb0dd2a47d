// A tenant's policy by name, for the proxy path and the budget API alike. The configuration
// guarantees every key's tenant exists (config/resolve.ts), so a miss is a caller naming one.
import type { TenantPolicy } from '../config/types.js';
import { invalidRequest } from '../errors.js';
import type { PipelineDeps } from './deps.js';

/** The tenant's policy; an unknown name is a 400 naming `param`. */
export function tenantPolicy(deps: Pick<PipelineDeps, 'config'>, name: string, param = 'tenant'): TenantPolicy {
  const tenant = deps.config.tenants.get(name);
  if (!tenant) throw invalidRequest(`No tenant named "${name}" is configured.`, param);
  return tenant;
}
