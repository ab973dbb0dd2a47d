// The Redis ledger during an outage (docs/design.md §3.4 "backend down"): with nothing listening
// every operation rejects quickly with ledger_unavailable; when a private redis-server
// stalls (DEBUG SLEEP) or is killed and restarted, calls fail fast meanwhile and succeed
// again afterwards on the same store, without reopening it.
import { afterAll, describe, expect, it } from 'vitest';
import { LedgerError } from '../src/ledger/index.js';
import type { ReserveRequest, Store } from '../src/ledger/index.js';
import { openRedisStore } from '../src/ledger/redis/index.js';
import { freePort, hasRedisServer, rawCommand, startRedisServer, type RedisProcess } from './support/redis-server.js';

const COMMAND_TIMEOUT_MS = 300;
/** A failing call must answer within this (timeout plus scheduling slack on a busy machine). */
const FAST_MS = 1_500;

const RUN = { type: 'run', id: 'run_outage', window: 'none', limitMicros: 1_000_000, mode: 'hard_gate' } as const;

function request(id: string): ReserveRequest {
  return {
    reservationId: id,
    decisionId: `bdgdec_${id}`,
    tenant: 'tenant_outage',
    scopes: [RUN],
    amountMicros: 1_000,
    ttlMs: 60_000,
    model: 'm',
    priceTableVersion: 'v',
    attribution: { runId: RUN.id, keyId: 'k', userId: null, teamId: null, feature: null, endpoint: 'e' },
  };
}

/** Awaits a call that must fail with ledger_unavailable; returns how long it took. */
async function unavailable(call: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  const error = await call().then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LedgerError);
  expect(error instanceof LedgerError ? error.code : null).toBe('ledger_unavailable');
  return Date.now() - started;
}

async function eventually(call: () => Promise<unknown>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await call();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const open = (url: string): Promise<Store> =>
  openRedisStore({ url, keyPrefix: 'outage:', commandTimeoutMs: COMMAND_TIMEOUT_MS });

describe('redis ledger: nothing listening', () => {
  it('opens anyway and every operation rejects quickly with ledger_unavailable', async () => {
    const started = Date.now();
    const store = await open(`redis://127.0.0.1:${await freePort()}`);
    expect(Date.now() - started).toBeLessThan(FAST_MS);
    const calls: ReadonlyArray<[string, () => Promise<unknown>]> = [
      ['reserve', () => store.ledger.reserve(request('rsv_down'))],
      ['markForwarded', () => store.ledger.markForwarded('rsv_down')],
      ['extend', () => store.ledger.extend('rsv_down', 1_000)],
      ['commit', () => store.ledger.commit('rsv_down', { actualMicros: 1, usageSource: 'provider' })],
      ['release', () => store.ledger.release('rsv_down')],
      ['expireDue', () => store.ledger.expireDue()],
      ['getReservation', () => store.ledger.getReservation('rsv_down')],
      ['view', () => store.ledger.view('tenant_outage', [RUN])],
      ['ping', () => store.ledger.ping()],
      [
        'runs.open',
        () =>
          store.runs.open({
            tenant: 't',
            runId: 'r',
            keyId: 'k',
            limitMicros: 1,
            idleTtlMs: 1_000,
            maxActivePerKey: 1,
          }),
      ],
      ['runs.get', () => store.runs.get('t', 'r')],
      ['runs.list', () => store.runs.list({ tenant: 't', keyId: null, state: null, limit: 10 })],
      ['runs.countActive', () => store.runs.countActive('t', 'k')],
      ['decisions.put', () => store.decisions.put({ id: 'd', tenant: 't', keyId: 'k', createdAtMs: 1, record: {} })],
      ['decisions.get', () => store.decisions.get('d')],
      ['decisions.patch', () => store.decisions.patch('d', { a: 1 })],
      ['decisions.prune', () => store.decisions.prune(0)],
      ['spend', () => store.spend.spend({ tenant: 't', keyId: null, groupBy: 'key', fromMs: 0, toMs: 1 })],
    ];
    for (const [name, call] of calls) {
      const elapsedMs = await unavailable(call);
      expect({ name, fast: elapsedMs < FAST_MS }).toEqual({ name, fast: true });
    }
    await store.close();
  });
});

describe.skipIf(!hasRedisServer())('redis ledger: a private redis-server stalls, dies and comes back', () => {
  let server: RedisProcess | undefined;
  afterAll(() => server?.stop());

  it('fails fast while Redis sleeps and recovers on the same store', async () => {
    server = await startRedisServer({ extraArgs: ['--enable-debug-command', 'yes'] });
    const store = await open(server.url);
    const first = await store.ledger.reserve(request('rsv_before_sleep'));
    expect(first.kind).toBe('reserved');

    const sleeping = rawCommand(server.port, 'DEBUG SLEEP 2', 3_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await unavailable(() => store.ledger.ping())).toBeLessThan(FAST_MS);
    expect(
      await unavailable(() => store.ledger.commit('rsv_before_sleep', { actualMicros: 900, usageSource: 'provider' })),
    ).toBeLessThan(FAST_MS);
    expect(await sleeping).toContain('+OK');

    await eventually(() => store.ledger.ping(), 5_000);
    const committed = await store.ledger.commit('rsv_before_sleep', { actualMicros: 900, usageSource: 'provider' });
    expect(committed.reservation).toMatchObject({ state: 'committed', actualMicros: 900 });
    const [view] = await store.ledger.view('tenant_outage', [RUN]);
    expect(view).toMatchObject({ committedMicros: 900, reservedMicros: 0 });
    await store.close();
  });

  it('fails fast while Redis is down and reconnects by itself after a restart', async () => {
    server ??= await startRedisServer();
    const store = await open(server.url);
    expect((await store.ledger.reserve(request('rsv_before_kill'))).kind).toBe('reserved');

    await server.kill();
    expect(await unavailable(() => store.ledger.reserve(request('rsv_while_down')))).toBeLessThan(FAST_MS);
    expect(await unavailable(() => store.ledger.view('tenant_outage', [RUN]))).toBeLessThan(FAST_MS);

    await server.restart();
    await eventually(() => store.ledger.ping(), 5_000);
    // The restarted server kept nothing (no persistence): a fresh hold starts from zero.
    const after = await store.ledger.reserve(request('rsv_after_restart'));
    expect(after).toMatchObject({ kind: 'reserved', scopes: [{ reservedMicros: 1_000, committedMicros: 0 }] });
    await store.close();
  });
});
