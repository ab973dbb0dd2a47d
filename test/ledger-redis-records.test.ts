// Redis decision records are written behind (docs/ledger-redis.md "Records are written behind"),
// on a private redis-server watched with MONITOR: a record settled within HOLD_MS is ONE
// decision put (runcap_decision_put_v2, its pairs joined by NUL bytes; v1 when a field name or
// an id holds one) that stores what a put and a patch store; a record is readable before
// its hold is up (reads write the queue first); one not settled in time goes alone, its
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
  /** Holds its records 60 s, so a busy machine cannot make a quick settlement miss its record. */
  let held: Store;
  const errors: unknown[] = [];

  /** The client commands (scripts by name) sent while `step` runs and for a moment after. */
  async function commandsOf(step: () => Promise<void>): Promise<string[]> {
    const monitor = new Redis(redis.url);
    monitor.on('error', () => undefined);
    const feed = await monitor.monitor();
    // Lines still arriving as it disconnects would be reported as errors.
    feed.on('error', () => undefined);
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
    held = await openRedisStore({
      url: redis.url,
      keyPrefix: PREFIX,
      onBackgroundError: (e) => errors.push(e),
      recordHoldMs: 60_000,
    });
  });
  afterAll(async () => {
    await store?.close();
    await held?.close();
    raw?.disconnect();
    await redis?.stop();
  });

  it('a record settled within HOLD_MS is one decision put, stored as a put and a patch store it', async () => {
    // Written the old way first: alone after HOLD_MS, then its settlement as a patch.
    await store.decisions.put(decision('slow', RECORD));
    const slow = await commandsOf(async () => {
      await sleep(HOLD_MS);
      // Written by the queue's timer, with no read to flush it.
      for (let waitedMs = 0; (await raw.exists(`${PREFIX}dec:slow`)) === 0 && waitedMs < 2_000; waitedMs += 10)
        await sleep(10);
      expect(await raw.exists(`${PREFIX}dec:slow`)).toBe(1);
      await store.decisions.patch('slow', SETTLEMENT);
    });
    expect(slow.filter((command) => command.startsWith('runcap_'))).toEqual([
      SCRIPTS.decisionPutJoined.name,
      SCRIPTS.decisionPatch.name,
    ]);

    const fast = await commandsOf(async () => {
      await held.decisions.put(decision('fast', RECORD));
      await sleep(5);
      await held.decisions.patch('fast', SETTLEMENT);
    });
    expect(fast.filter((command) => command !== 'sadd').sort()).toEqual(
      [SCRIPTS.decisionPutJoined.name, 'zadd', 'zadd'].sort(),
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

  it('pairs that cannot travel joined by NUL bytes go as separate arguments (v1), stored alike', async () => {
    const odd = { 'odd\0key': 1, plain: 'a\0b' };
    const commands = await commandsOf(async () => {
      await held.decisions.put(decision('nul-key', odd, 'run\0nul'));
      await held.decisions.put(decision('nul-value', { plain: 'a\0b' }));
      await held.decisions.get('nul-value');
    });
    expect(commands.filter((command) => command.startsWith('runcap_')).sort()).toEqual(
      [SCRIPTS.decisionPut.name, SCRIPTS.decisionPutJoined.name].sort(),
    );
    expect(await store.decisions.get('nul-key')).toMatchObject({ runId: 'run\0nul', record: odd });
    expect((await store.decisions.get('nul-value'))?.record).toEqual({ plain: 'a\0b' });
  });

  it('a record is readable (get, a run listing) before its hold is up', async () => {
    await held.decisions.put(decision('early', { id: 'early' }, 'run-early'));
    // Still held: nothing in Redis yet.
    expect(await raw.exists(`${PREFIX}dec:early`)).toBe(0);
    expect((await held.decisions.get('early'))?.record).toEqual({ id: 'early' });
    await held.decisions.put(decision('early-2', { id: 'early-2' }, 'run-early'));
    const listed = await held.decisions.listByRun({ tenant: 't-rec', runId: 'run-early', limit: 10 });
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
