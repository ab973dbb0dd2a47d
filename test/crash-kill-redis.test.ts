// Process test (issue 13): three runcap instances on one Redis ledger under steady load, one
// of them killed with SIGKILL at random moments 20 times in a row and restarted each time; the
// other two keep serving and sweep its orphans. At the end the books must balance exactly as
// in crash-kill-sqlite.test.ts. Everything lives under a tenant of its own (keys
// `runcap:{<tenant>}:...`), deleted afterwards. Needs RUNCAP_TEST_REDIS_URL and the built CLI.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisStore } from '../src/ledger/redis/index.js';
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
import { REDIS_SKIP_MESSAGE } from './support/redis-harness.js';
import { spawnRuncap, type SpawnedRuncap } from './support/spawn-runcap.js';
import { waitFor } from './support/wait.js';

const REDIS_URL = process.env.RUNCAP_TEST_REDIS_URL;
if (!REDIS_URL) console.warn(`kill -9 under load, Redis: ${REDIS_SKIP_MESSAGE}`);
const suite = REDIS_URL ? describe : describe.skip;

const KILLS = 20;
const TENANT = `crash-redis-${randomUUID().slice(0, 8)}`;
/** runcap's Redis key layout (docs/ledger-redis.md): default prefix, the tenant as hash tag. */
const keys = {
  base: `runcap:{${TENANT}}:`,
  reservation: (id: string) => `runcap:{${TENANT}}:rsv:${id}`,
  live: `runcap:{${TENANT}}:live`,
  decisions: `runcap:{${TENANT}}:decisions`,
};
const global = {
  tenants: 'runcap:tenants',
  reservationTenant: (id: string) => `runcap:rsvtenant:${id}`,
  decision: (id: string) => `runcap:dec:${id}`,
};

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

async function reservationIds(redis: Redis): Promise<string[]> {
  const prefix = keys.reservation('');
  return (await scanKeys(redis, `${prefix}*`)).map((key) => key.slice(prefix.length));
}

/** Deletes every key this test's tenant wrote, and its entries in the global structures. */
async function cleanUp(redis: Redis): Promise<void> {
  const ids = await reservationIds(redis);
  const decisions = await redis.zrange(keys.decisions, 0, -1);
  const doomed = [
    ...(await scanKeys(redis, `${keys.base}*`)),
    ...ids.map((id) => global.reservationTenant(id)),
    ...decisions.map((id) => global.decision(id)),
  ];
  for (let start = 0; start < doomed.length; start += 500) await redis.unlink(...doomed.slice(start, start + 500));
  await redis.srem(global.tenants, TENANT);
}

suite('kill -9 under load, three instances on Redis', () => {
  let fake: FakeUpstream;
  let dir: string;
  let redis: Redis;

  beforeAll(async () => {
    fake = await startFakeUpstream(CRASH_UPSTREAM);
    dir = mkdtempSync(join(tmpdir(), 'runcap-crash-redis-'));
    redis = new Redis(REDIS_URL ?? '', { maxRetriesPerRequest: 2 });
  });
  afterAll(async () => {
    await cleanUp(redis);
    redis.disconnect();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps the books exact while one instance of three is killed ${KILLS} times`, async () => {
    const config = crashConfig({ upstreamUrl: fake.url, tenant: TENANT, ledger: { redis: REDIS_URL } });
    const spawn = (name: string): Promise<SpawnedRuncap> => spawnRuncap({ dir, config, env: CRASH_ENV, name });
    const steady = await Promise.all([spawn('steady-1'), spawn('steady-2')]);
    let victim: SpawnedRuncap | null = null;
    const load = startLoad(() => [...steady.map((instance) => instance.url), ...(victim ? [victim.url] : [])], 5, 30);
    let answeredBeforeKills = 0;
    try {
      for (let kill = 0; kill < KILLS; kill += 1) {
        const instance = await spawn(`victim-${kill}`);
        victim = instance;
        await randomPause(100, 700);
        victim = null;
        instance.child.kill('SIGKILL');
        expect(await instance.exited).toEqual({ code: null, signal: 'SIGKILL' });
        answeredBeforeKills = load.counts.answered;
      }
      await load.stop();
      // The survivors sweep the victim's orphans (TTL 4 s + 5 s skew tolerance, every second).
      await waitFor(
        () => redis.zcard(keys.live),
        (live) => live === 0,
        45_000,
      );
    } finally {
      await load.stop();
      const running = victim as SpawnedRuncap | null;
      running?.child.kill('SIGKILL');
      for (const instance of steady) instance.child.kill('SIGTERM');
      for (const instance of steady) expect(await instance.exited).toEqual({ code: 0, signal: null });
    }

    const store = await openRedisStore({ url: REDIS_URL ?? '' });
    try {
      const { violations, summary } = await auditBooks({
        store,
        tenant: TENANT,
        reservationIds: await reservationIds(redis),
        requests: fake.requests,
        scopes: crashScopes(CRASH_RUNS, CRASH_KEY_ID, CRASH_TEAM),
      });
      expect(violations, JSON.stringify({ summary, load: load.counts })).toEqual([]);
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
