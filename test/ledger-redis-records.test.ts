// Redis decision records are written behind (docs/ledger-redis.md "Records are written behind"),
// on a private redis-server watched with MONITOR: a record settled within HOLD_MS is ONE
// runcap_decision_put_v1 that stores what a put and a patch store; a record is readable before
// its HOLD_MS are up (reads write the queue first); one not settled in time goes alone, its
// settlement as a patch; close writes what is queued and refuses writes after it.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerError, type StoredDecision, type Store } from '../src/ledger/index.js';
import { openRedisStore, SCRIPTS } from '../src/ledger/redis/index.js';
import { hasRedisServer, startRedisServer, type RedisProcess } from './support/redis-server.js';

const PREFIX = 'rec:';
/** How long a record waits for its settlement (HOLD_MS, src/ledger/record-queue.ts). */
const HOLD_MS = 50;
const scriptNames = new Map<string, string>(Object.values(SCRIPTS).map((entry) => [entry.sha1, entry.name]));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const decision = (id: string, record: Record<string, unknown>, runId = 'run-rec'): StoredDecision => ({
  id,
  tenant: 't-rec',
  keyId: 'k',
  runId,
  createdAtMs: Date.now(),
  record,
});
const RECORD = { id: 'x', state: 'pending', actual_usd: null, gone: 'soon', big: 1234567890123456, nested: { a: [1] } };
const SETTLEMENT = { state: 'settled', actual_usd: '0.01', gone: undefined, usage: { input_tokens: 3 } };

describe.skipIf(!hasRedisServer())('Redis decision records, written behind', () => {
  let redis: RedisProcess;
  let raw: Redis;
  let store: Store;
  const errors: unknown[] = [];

  /** The client commands (scripts by name) sent while `step` runs and for a moment after. */
  async function commandsOf(step: () => Promise<void>): Promise<string[]> {
    const monitor = new Redis(redis.url);
    monitor.on('error', () => undefined);
    const feed = await monitor.monitor();
    const commands: string[] = [];
    feed.on('monitor', (_time: string, args: string[], source: string) => {
      if (source === 'lua') return;
      const [name = '', sha = ''] = args;
      const command = name.toLowerCase();
      commands.push(command === 'evalsha' ? (scriptNames.get(sha) ?? `evalsha ${sha}`) : command);
    });
    await sleep(20);
    await step();
    await sleep(20);
    feed.disconnect();
    monitor.disconnect();
    return commands.filter((command) => command !== 'monitor');
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
    store = await openRedisStore({ url: redis.url, keyPrefix: PREFIX, onBackgroundError: (e) => errors.push(e) });
  });
  afterAll(async () => {
    await store?.close();
    raw?.disconnect();
    await redis?.stop();
  });

  it('a record settled within HOLD_MS is one decision put, stored as a put and a patch store it', async () => {
    // Written the old way first: alone after HOLD_MS, then its settlement as a patch.
    await store.decisions.put(decision('slow', RECORD));
    const slow = await commandsOf(async () => {
      await sleep(HOLD_MS + 30);
      expect(await raw.exists(`${PREFIX}dec:slow`)).toBe(1);
      await store.decisions.patch('slow', SETTLEMENT);
    });
    expect(slow.filter((command) => command.startsWith('runcap_'))).toEqual([
      SCRIPTS.decisionPut.name,
      SCRIPTS.decisionPatch.name,
    ]);

    const fast = await commandsOf(async () => {
      await store.decisions.put(decision('fast', RECORD));
      await sleep(5);
      await store.decisions.patch('fast', SETTLEMENT);
    });
    expect(fast.filter((command) => command !== 'sadd').sort()).toEqual(
      [SCRIPTS.decisionPut.name, 'zadd', 'zadd'].sort(),
    );

    // The same hash either way, field for field and in the same order (an older build reads it alike).
    const [slowHash, fastHash] = await Promise.all([
      raw.hgetall(`${PREFIX}dec:slow`),
      raw.hgetall(`${PREFIX}dec:fast`),
    ]);
    expect(Object.entries(fastHash).filter(([field]) => field !== 'm:createdAtMs')).toEqual(
      Object.entries(slowHash).filter(([field]) => field !== 'm:createdAtMs'),
    );
    expect(fastHash).not.toHaveProperty('r:gone');
    expect(await raw.pttl(`${PREFIX}dec:fast`)).toBeGreaterThan(29 * 86_400_000);
    expect((await store.decisions.get('fast'))?.record).toEqual({
      id: 'x',
      state: 'settled',
      actual_usd: '0.01',
      big: 1234567890123456,
      nested: { a: [1] },
      usage: { input_tokens: 3 },
    });
    expect(errors).toEqual([]);
  });

  it('a record is readable (get, a run listing) before its HOLD_MS are up', async () => {
    await store.decisions.put(decision('early', { id: 'early' }, 'run-early'));
    // Still held: nothing in Redis yet.
    expect(await raw.exists(`${PREFIX}dec:early`)).toBe(0);
    const started = performance.now();
    expect((await store.decisions.get('early'))?.record).toEqual({ id: 'early' });
    expect(performance.now() - started).toBeLessThan(HOLD_MS);
    await store.decisions.put(decision('early-2', { id: 'early-2' }, 'run-early'));
    const listed = await store.decisions.listByRun({ tenant: 't-rec', runId: 'run-early', limit: 10 });
    expect(listed.map((stored) => stored.id)).toEqual(['early', 'early-2']);
  });

  it('refuses an unserialisable record on its own call; close writes what is queued and refuses after', async () => {
    const own = await openRedisStore({ url: redis.url, keyPrefix: PREFIX });
    await expect(own.decisions.put(decision('bad', { n: 1n }))).rejects.toBeInstanceOf(LedgerError);
    await own.decisions.put(decision('queued', { c: 3 }));
    await own.decisions.patch('queued', { settled: true });
    await own.decisions.put(decision('held', { d: 4 }));
    await own.close();
    await expect(own.decisions.put(decision('late', {}))).rejects.toMatchObject({ code: 'ledger_unavailable' });
    await expect(own.decisions.patch('held', { e: 5 })).rejects.toMatchObject({ code: 'ledger_unavailable' });
    expect((await store.decisions.get('queued'))?.record).toEqual({ c: 3, settled: true });
    expect((await store.decisions.get('held'))?.record).toEqual({ d: 4 });
    expect(await store.decisions.get('bad')).toBeNull();
  });
});
