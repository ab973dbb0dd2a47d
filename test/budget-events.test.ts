// E2E: GET /budget/events over real sockets: decisions and settlements as they happen, a key's
// own only (admin all), Last-Event-ID replay, and a real slow reader (a socket that stops reading)
// that loses events, counted, while the proxy keeps answering.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { SseReader, dechunk, type SseEvent } from './support/sse-reader.js';
import { waitFor } from './support/wait.js';

const ADMIN = 'admin-token-for-events-tests-0123';
const ALICE = 'sk-events-alice';
const BOB = 'sk-events-bob';
const BUFFER = 8;
let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: { admin_token: ADMIN, events: { replay: 200, subscriber_buffer: BUFFER, heartbeat: '1s' } },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

async function follow(key: string, query = '', lastEventId?: string): Promise<SseReader> {
  const response = await fetch(`${runcap.url}/budget/events${query}`, {
    headers: { authorization: `Bearer ${key}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  return new SseReader(response.body as ReadableStream<Uint8Array>);
}

const data = (event: SseEvent): Record<string, unknown> => JSON.parse(event.data) as Record<string, unknown>;
const ofRun = (runId: string) => (event: SseEvent) => event.id !== null && data(event)['run_id'] === runId;

describe('GET /budget/events', () => {
  it('streams decisions then settlements, a key its own only, the admin everyone', async () => {
    const alice = await follow(ALICE);
    const admin = await follow(ADMIN);
    const bob = await follow(BOB);
    expect((await chat(runcap.url, ALICE, 'ev-alice')).status).toBe(200);
    expect((await chat(runcap.url, BOB, 'ev-bob')).status).toBe(200);

    const [decision, settlement] = await alice.take(2, ofRun('ev-alice'));
    expect(decision?.event).toBe('decision');
    expect(data(decision as SseEvent)).toMatchObject({
      type: 'decision',
      run_id: 'ev-alice',
      decision: 'allow',
      requested_model: 'gpt-4o-mini',
      block: null,
    });
    expect(settlement?.event).toBe('settlement');
    expect(data(settlement as SseEvent)).toMatchObject({
      type: 'settlement',
      decision_id: data(decision as SseEvent)['decision_id'],
      state: 'settled',
      usage_source: 'provider',
    });
    expect(String(data(settlement as SseEvent)['cost_usd'])).toMatch(/^\d+\.\d{2,6}$/);
    expect(Number(settlement?.id)).toBeGreaterThan(Number(decision?.id));

    await admin.take(2, ofRun('ev-bob'));
    await admin.take(2, ofRun('ev-alice'));
    await bob.take(2, ofRun('ev-bob'));
    // Give alice's stream every chance to show bob's events: it never does.
    await chat(runcap.url, ALICE, 'ev-alice-2');
    await alice.take(2, ofRun('ev-alice-2'));
    expect(alice.seen.filter(ofRun('ev-bob'))).toEqual([]);
    expect(bob.seen.filter(ofRun('ev-alice'))).toEqual([]);
    const ids = admin.seen.map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    await Promise.all([alice.cancel(), admin.cancel(), bob.cancel()]);
  });

  it('narrows to one run, and refuses a key that asks for another key or a bad Last-Event-ID', async () => {
    const run = await follow(ALICE, '?run_id=ev-narrow');
    await chat(runcap.url, ALICE, 'ev-other');
    await chat(runcap.url, ALICE, 'ev-narrow');
    const events = await run.take(2);
    expect(events.map((event) => data(event)['run_id'])).toEqual(['ev-narrow', 'ev-narrow']);
    await run.cancel();
    const other = await api(runcap.url, 'GET', '/budget/events?key_id=key_someone', { key: ALICE });
    expect(other.status).toBe(403);
    const bad = await api(runcap.url, 'GET', '/budget/events', { key: ALICE, headers: { 'last-event-id': 'x1' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid_request', error: { param: 'Last-Event-ID' } });
    expect((await api(runcap.url, 'GET', '/budget/events')).status).toBe(401);
  });

  it('replays what the feed still holds after Last-Event-ID on a reconnect', async () => {
    const first = await follow(ALICE, '?run_id=ev-replay');
    await chat(runcap.url, ALICE, 'ev-replay');
    const [seen] = await first.take(1);
    await first.cancel();
    // Missed while disconnected: the first call's settlement (maybe) and two more calls.
    await chat(runcap.url, ALICE, 'ev-replay');
    await chat(runcap.url, ALICE, 'ev-replay');
    await waitFor(
      () =>
        api<{ calls: { cost_usd: string | null }[] }>(runcap.url, 'GET', '/budget/runs/ev-replay/calls', {
          key: ALICE,
        }),
      (page) => page.body.calls.length === 3 && page.body.calls.every((call) => call.cost_usd !== null),
    );
    const again = await follow(ALICE, '?run_id=ev-replay', seen?.id ?? '');
    const replayed = await again.take(5);
    expect(replayed.map((event) => event.event).sort()).toEqual([
      'decision',
      'decision',
      'settlement',
      'settlement',
      'settlement',
    ]);
    const ids = replayed.map((event) => Number(event.id));
    expect(ids.every((id) => id > Number(seen?.id))).toBe(true);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    await again.cancel();
    // An id from before this process (or past the ring) says so instead of pretending nothing was missed.
    const stale = await follow(ALICE, '?run_id=ev-replay', '999999999');
    expect((await stale.take(1, (event) => event.event === 'dropped'))[0]?.data).toBe(
      JSON.stringify({ reason: 'replay_gap', count: null }),
    );
    await stale.cancel();
  });

  it('a reader that stops reading loses events (counted) and never holds up the proxy', async () => {
    const dropped = async () => {
      const text = await (await fetch(`${runcap.url}/metrics`)).text();
      return Number(/^runcap_events_dropped_total (\S+)$/m.exec(text)?.[1] ?? 'NaN');
    };
    const before = await dropped();
    const socket: Socket = connect(runcap.server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const body = (): string => dechunk(Buffer.concat(chunks));
    socket.write(`GET /budget/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN}\r\n\r\n`);
    await waitFor(body, (text) => text.includes('runcap budget events'));
    // The reader stops: the kernel buffers fill, then the server's, then its queue of BUFFER events.
    socket.pause();
    const filler = 'x'.repeat(64 * 1024);
    const publish = runcap.server.deps.events;
    for (let i = 0; i < 400; i += 1) {
      publish.publish('decision', { tenant: 'default', keyId: 'key_filler', runId: 'ev-filler' }, { filler, i });
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // Meanwhile the proxy answers as ever: every call admitted and settled.
    for (let i = 0; i < 10; i += 1) expect((await chat(runcap.url, ALICE, 'ev-while-stalled')).status).toBe(200);
    const lost = await waitFor(dropped, (count) => count - before > 0);
    expect(lost - before).toBeGreaterThan(0);
    // Backpressure held: the server wrote what the paused socket's buffers took, not the 25 MB
    // published, and kept no more than its bounded queue of the rest.
    expect(Buffer.concat(chunks).length).toBeLessThan((400 * filler.length) / 2);

    // The reader resumes: it is told how many it lost, then the feed goes on in order.
    socket.resume();
    await chat(runcap.url, ALICE, 'ev-after-stall');
    const parsed = await waitFor(
      () => {
        const parser = new SseReader();
        parser.push(body());
        return parser.seen;
      },
      (events) => events.some((event) => event.data.includes('ev-after-stall')),
      30_000,
    );
    const notice = parsed.find((event) => event.event === 'dropped');
    expect(notice).toBeDefined();
    expect(JSON.parse(notice?.data ?? '{}')).toMatchObject({ reason: 'slow_consumer' });
    expect(Number(JSON.parse(notice?.data ?? '{}').count)).toBeGreaterThan(0);
    const ids = parsed.filter((event) => event.id !== null).map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    socket.destroy();
  });
});
