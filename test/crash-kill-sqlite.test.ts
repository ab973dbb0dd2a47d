// Process test (issue 13, "nothing may get less safe"): runcap on SQLite under steady load,
// killed with SIGKILL at random moments 20 times in a row and restarted each time on the same
// database file. After a last restart and its sweep, the books must balance: nothing left
// reserved, every call the fake upstream answered charged (its own count of calls and tokens
// against the ledger), nothing charged twice, every scope counter the sum of its reservations.
// Correctness only, no timing assertions. Runs the built CLI (npm run build first).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/ledger/index.js';
import { auditBooks, crashScopes } from './support/crash-audit.js';
import {
  CRASH_ENV,
  CRASH_KEY_ID,
  CRASH_RUNS,
  CRASH_TEAM,
  CRASH_UPSTREAM,
  crashConfig,
  randomPause,
  startLoad,
} from './support/crash-load.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { spawnRuncap, type SpawnedRuncap } from './support/spawn-runcap.js';
import { waitFor } from './support/wait.js';

const KILLS = 20;
const TENANT = 'crash-sqlite';

let fake: FakeUpstream;
let dir: string;

beforeAll(async () => {
  fake = await startFakeUpstream(CRASH_UPSTREAM);
  dir = mkdtempSync(join(tmpdir(), 'runcap-crash-loop-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function liveHolds(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare<[], { n: number }>("SELECT count(*) AS n FROM reservations WHERE state IN ('reserved', 'forwarded')")
      .get();
    return row?.n ?? -1;
  } finally {
    db.close();
  }
}

describe('kill -9 under load, SQLite', () => {
  it(`keeps the books exact over ${KILLS} kills and restarts on one database`, async () => {
    const dbPath = join(dir, 'ledger.sqlite');
    const config = crashConfig({ upstreamUrl: fake.url, tenant: TENANT, ledger: { sqlite: dbPath } });
    let current: SpawnedRuncap | null = null;
    const load = startLoad(() => (current === null ? [] : [current.url]), 8, 20);
    let answeredBeforeKills = 0;
    try {
      for (let kill = 0; kill < KILLS; kill += 1) {
        const instance = await spawnRuncap({ dir, config, env: CRASH_ENV, name: `life-${kill}` });
        current = instance;
        // Let calls flow (some lives end before the first answer, some in the middle of many).
        await randomPause(100, 700);
        current = null;
        instance.child.kill('SIGKILL');
        expect(await instance.exited).toEqual({ code: null, signal: 'SIGKILL' });
        answeredBeforeKills = load.counts.answered;
      }
      const last = await spawnRuncap({ dir, config, env: CRASH_ENV, name: 'last' });
      current = last;
      await randomPause(300, 600);
      current = null;
      await load.stop();
      // The orphans of the kills expire (TTL 4 s + 5 s skew tolerance), swept every second.
      await waitFor(
        () => liveHolds(dbPath),
        (live) => live === 0,
        45_000,
      );
      last.child.kill('SIGTERM');
      expect(await last.exited).toEqual({ code: 0, signal: null });
    } finally {
      await load.stop();
      const running = current as SpawnedRuncap | null;
      running?.child.kill('SIGKILL');
    }

    const raw = new Database(dbPath, { readonly: true });
    const reservationIds = raw
      .prepare<[string], { id: string }>('SELECT id FROM reservations WHERE tenant = ?')
      .all(TENANT)
      .map((row) => row.id);
    raw.close();
    const store = openSqliteStore({ path: dbPath });
    try {
      const { violations, summary } = await auditBooks({
        store,
        tenant: TENANT,
        reservationIds,
        requests: fake.requests,
        scopes: crashScopes(CRASH_RUNS, CRASH_KEY_ID, CRASH_TEAM),
      });
      expect(violations, JSON.stringify({ summary, load: load.counts })).toEqual([]);
      // The load really ran through the kills: calls answered and calls cut by a kill.
      expect(answeredBeforeKills).toBeGreaterThan(KILLS);
      expect(load.counts.failed).toBeGreaterThan(0);
      expect(summary.upstreamAnswered).toBeGreaterThan(KILLS);
      expect(summary.committed).toBeGreaterThan(0);
      expect(summary.expiredCharged).toBeGreaterThan(0);
      expect(summary.reservations).toBeGreaterThanOrEqual(summary.upstreamReceived);
    } finally {
      await store.close();
    }
  }, 300_000);
});
