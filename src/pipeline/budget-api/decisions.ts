// Decision records on the budget API (docs/design.md §5, §8): GET /budget/decisions/{id} answers the
// stored record to the principal that made the call, or to the admin token; anyone else
// gets the same 404 as for a missing id. Reads the store only.
import type { Caller } from '../../principal.js';
import type { PipelineDeps } from '../deps.js';
import { canSee, notFound } from './access.js';
import { storeCall } from './store-call.js';

export async function visibleDecision(
  deps: PipelineDeps,
  caller: Caller,
  id: string,
): Promise<Readonly<Record<string, unknown>>> {
  const decision = await storeCall(deps, 'get_decision', () => deps.store.decisions.get(id));
  if (!decision || !canSee(caller, decision.tenant, decision.keyId)) throw notFound('decision', id);
  return decision.record;
}
