// The price of the model a proxied call asks for, at the service tier it asks for, or the
// refusal that says why there is none (docs/design.md §6, §9; docs/pricing.md): 403 model_not_allowed,
// 400 invalid_request for a service_tier the entry does not price, 403 price_unknown (runcap
// cannot bound the cost of a model it has no price for; the detail names both fixes).
import type { TenantPolicy } from '../config/types.js';
import { RuncapError, invalidRequest } from '../errors.js';
import { isModelAllowed } from '../policy/models.js';
import { lookupModel } from '../pricing/lookup.js';
import { pricedTierNames } from '../pricing/service-tier.js';
import type { ModelPrice, PriceTable } from '../pricing/types.js';
import type { ParsedRequest } from '../proxy/adapter.js';
import type { PipelineDeps } from './deps.js';

/** `lookup` prices a model at the request's service tier (null: no price for the model or the tier). */
export function requirePrice(
  deps: PipelineDeps,
  tenant: TenantPolicy,
  table: PriceTable,
  request: ParsedRequest,
  lookup: (model: string) => ModelPrice | null,
): ModelPrice {
  const model = request.model;
  if (!isModelAllowed(tenant, model)) {
    throw new RuncapError('model_not_allowed', `Model "${model}" is not allowed for this tenant.`, { param: 'model' });
  }
  const price = lookup(model);
  if (price) return price;
  const listed = lookupModel(table, model, tenant.priceOverrides);
  if (listed.found) {
    const priced = pricedTierNames(listed.price);
    throw invalidRequest(
      `service_tier "${String(request.serviceTier)}" has no price for model "${model}" in price table ${table.version} ` +
        `(priced tiers: ${['default', 'auto', ...priced].join(', ')}), so runcap cannot bound its cost; ` +
        'send a priced tier, or add the tier under the model\'s "service_tiers" in a tenant price_overrides entry.',
      'service_tier',
    );
  }
  deps.metrics.priceUnknown.inc();
  throw priceUnknown(model, table.version, tenant.name);
}

/** `alternative`: what the caller itself can do instead (the budget API: reserve an amount). */
export function priceUnknown(model: string, tableVersion: string, tenant: string, alternative?: string): RuncapError {
  return new RuncapError(
    'price_unknown',
    `runcap has no price for model "${model}" in price table ${tableVersion}, so it cannot bound the cost and ` +
      `refuses the call${alternative ? `; ${alternative}` : ''}. To fix it, an operator adds the model to ` +
      `tenants.${tenant}.price_overrides in the runcap configuration (a price entry: provider, input, output, ` +
      'context_window, max_output_tokens; see docs/pricing.md), or updates the price tables with ' +
      '`runcap prices import --from genai-prices` and restarts runcap.',
    { param: 'model' },
  );
}
