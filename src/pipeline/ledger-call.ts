// Runs one store operation with its latency measured, and turns a backend failure
// (unreachable Redis, a busy or broken SQLite file) into LedgerDown, which the
// pipeline answers with the tenant's outage policy (docs/design.md §3.4).
import { LedgerError } from '../ledger/index.js';
import type { PipelineDeps } from './deps.js';

export class LedgerDown extends Error {
  override readonly name = 'LedgerDown';
  constructor(
    readonly operation: string,
    override readonly cause: unknown,
  ) {
    super(`ledger ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export async function ledgerCall<T>(deps: PipelineDeps, operation: string, fn: () => Promise<T>): Promise<T> {
  const backend = deps.store.ledger.backend;
  const stop = deps.metrics.ledgerSeconds.startTimer({ backend, operation });
  try {
    return await fn();
  } catch (error) {
    // Typed ledger refusals and programming errors are not outages.
    if (error instanceof LedgerError && error.code !== 'ledger_unavailable') throw error;
    if (error instanceof TypeError || error instanceof RangeError) throw error;
    deps.metrics.ledgerErrors.inc({ backend, operation });
    throw new LedgerDown(operation, error);
  } finally {
    stop();
  }
}
