// Cheaper models that could serve a request now (docs/design.md §7): allowed by the tenant,
// capable of what the request needs, with room for its context, and within budget. Pure.
import type { RequestNeeds } from '../proxy/adapter.js';
import type { ModelPrice } from '../pricing/types.js';
import type { Micros } from '../money/micros.js';

/** What serving the request on one model would take. */
export interface ModelPlan {
  readonly price: ModelPrice;
  readonly inputTokens: number;
  readonly maxOutputTokens: number;
  readonly amountMicros: Micros;
}

export interface AlternativesInput<P extends ModelPlan = ModelPlan> {
  readonly requested: ModelPrice;
  /** Tenant chains replace the table's `downgrade_to` for the models they name. */
  readonly chains: ReadonlyMap<string, readonly string[]>;
  readonly lookup: (model: string) => ModelPrice | null;
  readonly allowed: (model: string) => boolean;
  readonly needs: RequestNeeds;
  /** The plan for a model, or null when its context window cannot hold input + output cap. */
  readonly plan: (price: ModelPrice) => P | null;
  readonly fits: (amountMicros: Micros) => boolean;
  readonly max?: number;
}

/** Candidates in chain order (breadth-first through each model's chain), each at most once. */
export function downgradeCandidates(
  requested: ModelPrice,
  chains: AlternativesInput['chains'],
  lookup: AlternativesInput['lookup'],
): ModelPrice[] {
  const seen = new Set<string>([requested.model]);
  const queue: ModelPrice[] = [requested];
  const out: ModelPrice[] = [];
  while (queue.length > 0) {
    const model = queue.shift() as ModelPrice;
    for (const name of chains.get(model.model) ?? model.downgradeTo) {
      const price = lookup(name);
      if (!price || seen.has(price.model)) continue;
      seen.add(price.model);
      out.push(price);
      queue.push(price);
    }
  }
  return out;
}

export function satisfiesNeeds(price: ModelPrice, needs: RequestNeeds): boolean {
  return (
    (!needs.tools || price.capabilities.tools) &&
    (!needs.jsonSchema || price.capabilities.jsonSchema) &&
    (!needs.vision || price.capabilities.vision)
  );
}

export function findAlternatives<P extends ModelPlan>(input: AlternativesInput<P>): P[] {
  const plans: P[] = [];
  for (const price of downgradeCandidates(input.requested, input.chains, input.lookup)) {
    if (plans.length >= (input.max ?? 5)) break;
    if (!input.allowed(price.model) || !satisfiesNeeds(price, input.needs)) continue;
    const plan = input.plan(price);
    if (plan && input.fits(plan.amountMicros)) plans.push(plan);
  }
  return plans;
}
