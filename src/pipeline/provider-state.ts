// What the ledger backend remembers of state the provider keeps between calls (docs/design.md §8,
// docs/bounds.md): the billed tokens of a previous_response_id chain and of a Responses
// conversation, looked up before planning. One ledger read each, only when the request names one.
import type { ChainTokens } from '../ledger/index.js';
import type { ParsedRequest } from '../proxy/adapter.js';
import type { PipelineDeps } from './deps.js';
import { ledgerCall } from './ledger-call.js';
import type { ConversationState } from './plan.js';

export interface ProviderState {
  /** The previous response's billed tokens; 'unknown' when runcap never saw it billed; null without one. */
  readonly chain: ChainTokens | 'unknown' | null;
  readonly conversation: ConversationState | null;
}

export async function lookupProviderState(
  deps: PipelineDeps,
  tenant: string,
  request: ParsedRequest,
): Promise<ProviderState> {
  const previous = request.previousResponseId;
  const chain =
    previous === null
      ? null
      : ((await ledgerCall(deps, 'chain_lookup', () => deps.store.chains.lookup(tenant, previous))) ?? 'unknown');
  const id = request.conversationId ?? null;
  const conversation =
    id === null
      ? null
      : {
          id,
          knownTokens: await ledgerCall(deps, 'chain_lookup', () => deps.store.chains.conversationTokens(tenant, id)),
        };
  return { chain, conversation };
}
