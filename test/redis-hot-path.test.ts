// The Redis ledger's hot path (docs/ledger-redis.md "Round trips of one call"), on a private
// redis-server: a call of a run this instance knows does not open the run again, and the reserve
// script still enforces what another instance changed (a close, a lowered or raised ceiling); the
// id -> tenant claim sent with the reserve undoes a hold whose id another tenant owns; and the
// Redis commands and client writes of one proxied call (its settled record written once),
// counted with MONITOR and a counting TCP proxy in front of the server.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReserveRequest, Store } from '../src/ledger/index.js';
import { LedgerError } from '../src/ledger/index.js';
import { openRedisStore, SCRIPTS } from '../src/ledger/redis/index.js';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { hasRedisServer, startRedisServer, type RedisProcess } from './support/redis-server.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const KEY = 'sk-hot-path';

/** A TCP relay that counts the writes (data events) its clients send to Redis. */
interface CountingProxy {
  readonly url: string;
  writes: number;
  close(): Promise<void>;
}

async function startCountingProxy(port: number): Promise<CountingProxy> {
  const sockets = new Set<Socket>();
  const proxy: CountingProxy = { url: '', writes: 0, close: () => Promise.resolve() };
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      proxy.writes += 1;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return Object.assign(proxy, {
    url: `redis://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}

const scriptNames = new Map<string, string>(Object.values(SCRIPTS).map((entry) => [entry.sha1, entry.name]));

describe.skipIf(!hasRedisServer())('Redis ledger hot path (private redis-server)', () => {
  let redis: RedisProcess;
  let fake: FakeUpstream;
  let proxy: CountingProxy;
  let a: TestRuncap;
  let b: TestRuncap;

  beforeAll(async () => {
    redis = await startRedisServer();
    // The upstream takes a moment, so the writes before and after it never share a TCP segment.
    fake = await startFakeUpstream({ latencyMs: 20 });
    proxy = await startCountingProxy(redis.port);
    const config = (url: string) => ({
      ledger: { redis: url, sweep_interval: '1h' },
      tenants: { default: { run: { default_limit_usd: '1.00', max_limit_usd: '5.00', max_active_per_key: 4 } } },
    });
    // Records wait 10 s for their settlement here (50 ms in production), so a busy machine cannot
    // turn the settled call below into a record and a patch.
    const store = await openRedisStore({ url: proxy.url, recordHoldMs: 10_000 });
    a = await startRuncap({ upstreamUrl: fake.url, config: config(proxy.url), store });
    b = await startRuncap({ upstreamUrl: fake.url, config: config(redis.url) });
  }, 30_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await proxy?.close();
    await fake?.close();
    await redis?.stop();
  });

  it('one proxied call of a known run: reserve and commit are its only waits; nothing opens the run', async () => {
    expect((await chat(a.url, KEY, 'rt-run')).status).toBe(200);
    expect((await chat(a.url, KEY, 'rt-run')).status).toBe(200);
    await a.server.deps.tasks.drain(5_000);

    const monitor = new Redis(redis.url);
    const commands: string[] = [];
    monitor.on('error', () => undefined);
    const feed = await monitor.monitor();
    // Lines still arriving as it disconnects would be reported as errors.
    feed.on('error', () => undefined);
    feed.on('monitor', (_time: string, args: string[], source: string) => {
      // Commands a script runs are listed too, with the source "lua".
      if (source === 'lua') return;
      const [name = '', sha = ''] = args;
      const command = name.toLowerCase();
      commands.push(command === 'evalsha' ? (scriptNames.get(sha) ?? `evalsha ${sha}`) : command);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    commands.length = 0;
    proxy.writes = 0;

    const response = await chat(a.url, KEY, 'rt-run');
    expect(response.status).toBe(200);
    await a.server.deps.tasks.drain(5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    feed.disconnect();
    monitor.disconnect();

    // The reserve script claims the id itself (standalone); the commit; the decision record, which
    // waited for its settlement (it came within 50 ms; its pairs joined in one argument), with its
    // two index entries in one write.
    // No run_open script, no patch of the record.
    expect([...commands].sort()).toEqual(
      [SCRIPTS.reserve.name, SCRIPTS.commit.name, SCRIPTS.decisionPutJoined.name, 'zadd', 'zadd'].sort(),
    );
    expect(proxy.writes).toBe(3);
  });

  it('a run closed on another instance is refused on the next call here', async () => {
    expect((await chat(a.url, KEY, 'closed-elsewhere')).status).toBe(200);
    const closed = await api(b.url, 'POST', '/budget/runs/closed-elsewhere/close', { key: KEY });
    expect(closed.status).toBe(200);
    const refused = await chat(a.url, KEY, 'closed-elsewhere');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'run_closed' });
  });

  it('a ceiling lowered and then raised on another instance is the one enforced here', async () => {
    const first = await chat(a.url, KEY, 'limit-elsewhere', { headers: { 'x-run-budget-usd': '1.00' } });
    expect(first.status).toBe(200);
    const lowered = await api(b.url, 'PATCH', '/budget/runs/limit-elsewhere', {
      key: KEY,
      body: { limit_usd: '0.000001' },
    });
    expect(lowered.status).toBe(200);
    const blocked = await chat(a.url, KEY, 'limit-elsewhere');
    expect(blocked.status).toBe(402);
    expect(blocked.body).toMatchObject({ budget: { scope: 'run', limit_usd: '0.000001' } });

    const raised = await api(b.url, 'PATCH', '/budget/runs/limit-elsewhere', {
      key: KEY,
      body: { limit_usd: '3.00' },
    });
    expect(raised.status).toBe(200);
    const admitted = await chat(a.url, KEY, 'limit-elsewhere');
    expect(admitted.status).toBe(200);
    // Held against $3.00, not the $1.00 this instance saw when it opened the run.
    expect(Number(admitted.headers.get('x-budget-remaining-usd'))).toBeGreaterThan(2);
  });

  it('a known run that went idle is opened again, so the active-run cap applies to it', async () => {
    const key = 'sk-hot-idle';
    for (const run of ['idle-a', 'idle-b', 'idle-c', 'idle-d']) expect((await chat(a.url, key, run)).status).toBe(200);
    // idle-a idles out (as if its idle TTL passed): its last activity and its active-until far back.
    const raw = new Redis(redis.url);
    try {
      const keyId = (await a.server.deps.store.runs.get('default', 'idle-a'))?.keyId ?? '';
      await raw.hset('runcap:{default}:run:idle-a', 'last', '1');
      await raw.zadd(`runcap:{default}:runs:active:${keyId}`, '2', 'idle-a');
    } finally {
      raw.disconnect();
    }
    expect((await chat(a.url, key, 'idle-e')).status).toBe(200);
    // Four runs are active again (b, c, d, e): idle-a coming back counts as a fifth.
    const refused = await chat(a.url, key, 'idle-a');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'too_many_active_runs' });
  });
});

describe.skipIf(!hasRedisServer())('Redis reserve: the id -> tenant claim and the run check', () => {
  let redis: RedisProcess;
  let store: Store;
  beforeAll(async () => {
    redis = await startRedisServer();
    store = await openRedisStore({ url: redis.url });
  });
  afterAll(async () => {
    await store?.close();
    await redis?.stop();
  });

  const request = (tenant: string, reservationId: string, extra: Partial<ReserveRequest> = {}): ReserveRequest => ({
    reservationId,
    decisionId: `dec-${reservationId}`,
    tenant,
    scopes: [{ type: 'run', id: 'r1', window: 'none', limitMicros: 1_000, mode: 'hard_gate' }],
    amountMicros: 400,
    ttlMs: 60_000,
    model: 'm',
    priceTableVersion: 'v',
    attribution: { runId: 'r1', keyId: 'k1', userId: null, teamId: null, feature: null, endpoint: 'chat' },
    ...extra,
  });
  const runScope = [request('', '').scopes[0]!];

  it('an id another tenant owns fails the reserve and holds nothing', async () => {
    const first = await store.ledger.reserve(request('t-one', 'rsv-shared'));
    expect(first.kind).toBe('reserved');
    await expect(store.ledger.reserve(request('t-two', 'rsv-shared'))).rejects.toMatchObject({
      code: 'invalid_transition',
    });
    const [two] = await store.ledger.view('t-two', runScope);
    expect(two).toMatchObject({ reservedMicros: 0, committedMicros: 0 });
    const [one] = await store.ledger.view('t-one', runScope);
    expect(one).toMatchObject({ reservedMicros: 400 });
    // The id still names the first tenant's hold, which settles normally.
    expect((await store.ledger.getReservation('rsv-shared'))?.tenant).toBe('t-one');
    expect((await store.ledger.commit('rsv-shared', { actualMicros: 300, usageSource: 'provider' })).changed).toBe(
      true,
    );
  });

  it('a run check on a run that does not exist, is closed or carries another ceiling writes nothing', async () => {
    await store.runs.open({
      tenant: 't-check',
      runId: 'r1',
      keyId: 'k1',
      limitMicros: 1_000,
      idleTtlMs: 3_600_000,
      maxActivePerKey: 10,
    });
    const runCheck = { runId: 'r1', keyId: 'k1' };
    const checked = await store.ledger.reserve(request('t-check', 'rsv-check-ok', { runCheck }));
    expect(checked.kind).toBe('reserved');
    const refusals: [string, Partial<ReserveRequest>][] = [
      ['another key', { runCheck: { runId: 'r1', keyId: 'k2' } }],
      ['another ceiling', { runCheck, scopes: [{ ...request('', '').scopes[0]!, limitMicros: 2_000 }] }],
      ['a missing run', { runCheck: { runId: 'r-missing', keyId: 'k1' } }],
    ];
    for (const [, extra] of refusals) {
      const error: unknown = await store.ledger.reserve(request('t-check', 'rsv-check-no', extra)).catch((e) => e);
      expect(error).toBeInstanceOf(LedgerError);
      expect(error).toMatchObject({ code: 'run_changed' });
    }
    await store.runs.close('t-check', 'r1');
    await expect(store.ledger.reserve(request('t-check', 'rsv-check-closed', { runCheck }))).rejects.toMatchObject({
      code: 'run_changed',
    });
    const [view] = await store.ledger.view('t-check', runScope);
    expect(view).toMatchObject({ reservedMicros: 400 });
    expect(await store.ledger.getReservation('rsv-check-no')).toBeNull();
  });

  it('a run check that passes records activity at the SQLite granularity (1/1000 of the idle TTL)', async () => {
    let nowMs = 1_000_000;
    const clocked = await openRedisStore({ url: redis.url, keyPrefix: 'rctest-touch:', clockOverride: () => nowMs });
    try {
      // Idle TTL 10 s: activity is recorded at a 10 ms granularity.
      await clocked.runs.open({
        tenant: 't-touch',
        runId: 'r1',
        keyId: 'k1',
        limitMicros: 1_000,
        idleTtlMs: 10_000,
        maxActivePerKey: 10,
      });
      const runCheck = { runId: 'r1', keyId: 'k1' };
      const activity = async (): Promise<number | undefined> =>
        (await clocked.runs.get('t-touch', 'r1'))?.lastActivityAtMs;
      const listed = async (): Promise<number | undefined> =>
        (await clocked.runs.list({ tenant: 't-touch', keyId: null, state: null, limit: 1 }))[0]?.lastActivityAtMs;
      nowMs += 5;
      expect((await clocked.ledger.reserve(request('t-touch', 'rsv-touch-1', { runCheck }))).kind).toBe('reserved');
      await clocked.ledger.release('rsv-touch-1');
      expect(await activity()).toBe(1_000_000);
      nowMs += 20;
      expect((await clocked.ledger.reserve(request('t-touch', 'rsv-touch-2', { runCheck }))).kind).toBe('reserved');
      await clocked.ledger.release('rsv-touch-2');
      expect(await activity()).toBe(1_000_025);
      expect(await listed()).toBe(1_000_025);
      // Idle 10 s after that last record: refused, though 5 ms later calls were admitted.
      nowMs += 3;
      expect((await clocked.ledger.reserve(request('t-touch', 'rsv-touch-3', { runCheck }))).kind).toBe('reserved');
      await clocked.ledger.release('rsv-touch-3');
      nowMs = 1_000_025 + 10_000;
      await expect(clocked.ledger.reserve(request('t-touch', 'rsv-touch-4', { runCheck }))).rejects.toMatchObject({
        code: 'run_changed',
      });
    } finally {
      await clocked.close();
    }
  });
});
