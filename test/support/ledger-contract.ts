// The one ledger contract suite (docs/design.md §3.4): every backend's test file calls
// runLedgerContract(name, factory) and must pass all of it. Nothing backend-specific
// here: time is driven through the harness's optional setClock; multi-process races
// through its optional raceWorkers.
import { afterEach, beforeEach, describe } from 'vitest';
import { registerAlertsContract } from './ledger-contract-alerts.js';
import { registerBrakesContract } from './ledger-contract-brakes.js';
import { registerExpiryContract } from './ledger-contract-expiry.js';
import { registerListingContract } from './ledger-contract-listing.js';
import { registerModelContract } from './ledger-contract-model.js';
import { registerRaceContract } from './ledger-contract-race.js';
import { registerRecordsContract } from './ledger-contract-records.js';
import { registerReserveContract } from './ledger-contract-reserve.js';
import { registerRetentionContract } from './ledger-contract-retention.js';
import { registerRunTreeContract } from './ledger-contract-run-tree.js';
import { registerTransitionsContract } from './ledger-contract-transitions.js';
import { START_MS, uniqueId } from './ledger-fixtures.js';
import type { ContractContext, LedgerFactory, LedgerHarness } from './ledger-fixtures.js';

export type { ContractContext, LedgerFactory, LedgerHarness } from './ledger-fixtures.js';

export interface LedgerContractOptions {
  /** true: the multi-process race must run (fail when the harness has no raceWorkers). */
  readonly multiProcess?: boolean;
}

export function runLedgerContract(name: string, factory: LedgerFactory, options: LedgerContractOptions = {}): void {
  describe(`ledger contract: ${name}`, () => {
    let harness: LedgerHarness | undefined;
    let clockMs = START_MS;
    let tenant = '';

    const current = (): LedgerHarness => {
      if (harness === undefined) throw new Error('the ledger harness is not open (used outside a test?)');
      return harness;
    };

    const ctx: ContractContext = {
      get store() {
        return current().store;
      },
      get ledger() {
        return current().store.ledger;
      },
      get hasClock() {
        return current().setClock !== undefined;
      },
      get raceWorkers() {
        return current().raceWorkers;
      },
      get tenant() {
        return tenant;
      },
      now: () => (current().setClock === undefined ? Date.now() : clockMs),
      advance: (ms) => {
        const setClock = current().setClock;
        if (setClock === undefined) throw new Error('advance() needs a harness with setClock');
        clockMs += ms;
        setClock(clockMs);
      },
      id: uniqueId,
    };

    beforeEach(async () => {
      harness = await factory();
      clockMs = START_MS;
      harness.setClock?.(clockMs);
      tenant = uniqueId('tenant');
    });

    afterEach(async () => {
      const open = harness;
      harness = undefined;
      await open?.cleanup();
    });

    registerReserveContract(ctx);
    registerTransitionsContract(ctx);
    registerExpiryContract(ctx);
    registerModelContract(ctx);
    registerRaceContract(ctx, options.multiProcess === true);
    registerRecordsContract(ctx);
    registerListingContract(ctx);
    registerAlertsContract(ctx);
    registerRetentionContract(ctx);
    registerBrakesContract(ctx);
    registerRunTreeContract(ctx);
  });
}
