// Store operations made by budget API handlers: measured like the proxy's (../ledger-call.ts),
// with an unreachable backend answered 503 `ledger_unavailable` (there is no call to let
// through) and typed ledger refusals turned into the budget API's 404 / 409 / 400.
import { RuncapError, invalidRequest } from '../../errors.js';
import { LedgerError } from '../../ledger/index.js';
import type { PipelineDeps } from '../deps.js';
import { LedgerDown, ledgerCall } from '../ledger-call.js';

export async function storeCall<T>(deps: PipelineDeps, operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await ledgerCall(deps, operation, fn);
  } catch (error) {
    if (error instanceof LedgerDown) {
      deps.metrics.ledgerUnavailable.inc();
      deps.logger.error({ operation, err: error.cause }, 'ledger unavailable: budget API request refused');
      throw new RuncapError(
        'ledger_unavailable',
        'The budget ledger is unreachable; nothing was changed. Retry shortly.',
      );
    }
    if (error instanceof LedgerError) {
      switch (error.code) {
        case 'reservation_not_found':
          throw new RuncapError('not_found', error.message);
        case 'invalid_transition':
          throw new RuncapError('conflict', error.message);
        case 'invalid_amount':
        case 'invalid_scope':
          throw invalidRequest(error.message);
        case 'ledger_unavailable':
          throw new RuncapError('ledger_unavailable', error.message);
      }
    }
    throw error;
  }
}
