// What GET /budget/events carries (docs/api.md "Events"): a decision as it is made and its
// settlement as it lands, projected from the decision record and its settlement patch, and the
// settlement's record update with its event. Pure projections plus one helper; decides nothing.
import type { PipelineDeps } from './deps.js';
import type { EventOwner } from './events.js';

/** A decision's event, from its stored record (decision-record.ts). */
export function decisionEventData(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const refused = record['decision'] === 'block' || record['decision'] === 'throttle';
  return {
    type: 'decision',
    decision_id: record['id'],
    at: record['created_at'],
    tenant: record['tenant'],
    key_id: record['key_id'],
    run_id: record['run_id'],
    endpoint: record['endpoint'],
    decision: record['decision'],
    state: record['state'],
    code: record['code'],
    requested_model: record['requested_model'],
    selected_model: record['selected_model'],
    estimated_input_tokens: record['input_tokens'],
    estimate_usd: record['estimate_usd'],
    reservation_id: record['reservation_id'],
    block: refused
      ? {
          code: record['code'],
          blocking_scope: record['blocking_scope'],
          brake: record['brake'],
          alternatives: record['alternatives'],
        }
      : null,
  };
}

/**
 * Records a settlement: the event goes out at once (synchronously queued), then the decision
 * record is patched. The money is settled by now; a record that cannot be updated is logged.
 */
export async function recordSettlement(
  deps: PipelineDeps,
  owner: EventOwner,
  decisionId: string,
  patch: Readonly<Record<string, unknown>>,
): Promise<void> {
  const usage = patch['usage'];
  const used = (name: string): unknown =>
    typeof usage === 'object' && usage !== null ? (Reflect.get(usage, name) ?? null) : null;
  deps.events.publish('settlement', owner, {
    type: 'settlement',
    decision_id: decisionId,
    at: patch['settled_at'] ?? new Date(deps.clock()).toISOString(),
    tenant: owner.tenant,
    key_id: owner.keyId,
    run_id: owner.runId,
    state: patch['state'],
    cost_usd: patch['actual_usd'] ?? null,
    usage_source: patch['usage_source'] ?? null,
    input_tokens: used('input_tokens'),
    output_tokens: used('output_tokens'),
    release_reason: patch['release_reason'] ?? null,
  });
  try {
    await deps.store.decisions.patch(decisionId, patch);
  } catch (error) {
    deps.logger.error({ decision_id: decisionId, err: error }, 'settled, but the decision record could not be updated');
  }
}
