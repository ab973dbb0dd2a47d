// A reserve whose answer was lost (a Redis command timeout, a dropped connection) may
// still land in the ledger as a forwarded hold for a call that was never sent. The
// pipeline releases such an id in the background, retrying while the ledger is down,
// so it can never be charged at expiry (docs/design.md §3.3: never forwarded -> released).
import { LedgerError } from '../ledger/index.js';
import type { PipelineDeps } from './deps.js';

const ATTEMPTS = 8;
const FIRST_DELAY_MS = 250;

export function releaseLostReserve(deps: PipelineDeps, reservationId: string): void {
  deps.tasks.track(
    (async () => {
      let delayMs = FIRST_DELAY_MS;
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        try {
          await deps.store.ledger.release(reservationId);
          deps.logger.warn({ reservation_id: reservationId }, 'released a hold whose reserve answer was lost');
          return;
        } catch (error) {
          // Never landed (or already settled): nothing to undo.
          if (
            error instanceof LedgerError &&
            (error.code === 'reservation_not_found' || error.code === 'invalid_transition')
          )
            return;
          if (attempt === ATTEMPTS) {
            deps.logger.error(
              { reservation_id: reservationId, err: error },
              'could not release a hold whose reserve answer was lost; it will be charged at expiry if it landed',
            );
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          delayMs = Math.min(delayMs * 2, 5_000);
        }
      }
    })(),
  );
}
