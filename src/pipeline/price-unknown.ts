// The 403 price_unknown refusal (SPEC §6, §9): runcap cannot bound the cost of a model it has
// no price for, so it refuses; the detail tells the operator the two ways to fix it.
import { RuncapError } from '../errors.js';

/** `alternative`: what the caller itself can do instead (the budget plane: reserve an amount). */
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
