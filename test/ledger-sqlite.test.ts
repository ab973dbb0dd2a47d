// Runs the shared ledger contract against the SQLite store: once on a temp file with a
// fake clock and multi-process races, once in memory on the real clock (no setClock).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStore } from '../src/ledger/index.js';
import { runLedgerContract } from './support/ledger-contract.js';
import { CONTRACT_ALERT_THRESHOLDS, START_MS } from './support/ledger-fixtures.js';
import { spawnRaceWorkers } from './support/ledger-race.js';

const dir = mkdtempSync(join(tmpdir(), 'runcap-ledger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runLedgerContract(
  'sqlite (file, fake clock, multi-process)',
  async () => {
    const path = join(dir, `${randomUUID()}.sqlite`);
    let nowMs = START_MS;
    const store = openSqliteStore({
      path,
      clock: () => nowMs,
      skewToleranceMs: 1_000,
      alertThresholds: CONTRACT_ALERT_THRESHOLDS,
    });
    return {
      store,
      setClock: (ms: number) => {
        nowMs = ms;
      },
      raceWorkers: spawnRaceWorkers({ backend: 'sqlite', options: { path } }),
      cleanup: async () => {
        await store.close();
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
      },
    };
  },
  { multiProcess: true },
);

runLedgerContract('sqlite (memory, real clock)', async () => {
  const store = openSqliteStore({ path: ':memory:', alertThresholds: CONTRACT_ALERT_THRESHOLDS });
  return { store, cleanup: () => store.close() };
});
