import { describe, expect, it } from 'vitest';
import { createEventHub, type FeedItem } from './events.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));
const alice = { tenant: 't', keyId: 'k_alice', runId: 'r1' };
const bob = { tenant: 't', keyId: 'k_bob', runId: 'r2' };
const ids = (items: FeedItem[] | null) =>
  (items ?? []).map((item) => (item.kind === 'event' ? item.event.id : `dropped:${item.reason}:${item.count}`));

describe('event hub', () => {
  it('numbers events in publish order, filters by owner, and fans out on a later turn', async () => {
    const hub = createEventHub({ ringSize: 10, subscriberBuffer: 10 });
    const mine = hub.subscribe({ tenant: 't', keyId: 'k_alice', runId: null }, null);
    const all = hub.subscribe({ tenant: null, keyId: null, runId: null }, null);
    let delivered = false;
    const first = mine.next(1_000).then((items) => {
      delivered = true;
      return items;
    });
    hub.publish('decision', alice, { n: 1 });
    hub.publish('decision', bob, { n: 2 });
    hub.publish('settlement', alice, { n: 3 });
    await Promise.resolve();
    // Nothing is delivered on the publishing turn.
    expect(delivered).toBe(false);
    await turn();
    expect(ids(await first)).toEqual([1, 3]);
    const items = await all.next(1_000);
    expect(ids(items)).toEqual([1, 2, 3]);
    expect(items?.[0]?.kind === 'event' && JSON.parse(items[0].text)).toEqual({ n: 1, event_id: 1 });
    expect(await mine.next(10)).toEqual([]);
  });

  it('drops past the buffer, counts it, and tells the subscriber once it has room', async () => {
    let dropped = 0;
    const hub = createEventHub({ ringSize: 100, subscriberBuffer: 2, onDropped: () => (dropped += 1) });
    const slow = hub.subscribe({ tenant: null, keyId: null, runId: null }, null);
    for (let i = 0; i < 5; i += 1) hub.publish('decision', alice, { i });
    await turn();
    expect(dropped).toBe(3);
    expect(ids(await slow.next(10))).toEqual([1, 2]);
    hub.publish('decision', alice, { i: 5 });
    await turn();
    expect(ids(await slow.next(10))).toEqual(['dropped:slow_consumer:3', 6]);
  });

  it('replays the ring after Last-Event-ID and flags what it no longer holds', async () => {
    const hub = createEventHub({ ringSize: 3, subscriberBuffer: 10 });
    for (let i = 0; i < 5; i += 1) hub.publish('decision', i % 2 === 0 ? alice : bob, { i });
    await turn();
    expect(ids(await hub.subscribe({ tenant: null, keyId: null, runId: null }, 3).next(10))).toEqual([4, 5]);
    expect(ids(await hub.subscribe({ tenant: null, keyId: 'k_alice', runId: null }, 2).next(10))).toEqual([3, 5]);
    expect(ids(await hub.subscribe({ tenant: null, keyId: null, runId: null }, 1).next(10))).toEqual([
      'dropped:replay_gap:null',
      3,
      4,
      5,
    ]);
    expect(ids(await hub.subscribe({ tenant: null, keyId: null, runId: null }, 99).next(10))).toEqual([
      'dropped:replay_gap:null',
    ]);
    expect(await hub.subscribe({ tenant: null, keyId: null, runId: null }, 5).next(10)).toEqual([]);
    // Later turns keep wrapping around the ring, oldest first.
    hub.publish('decision', alice, { i: 5 });
    await turn();
    hub.publish('decision', bob, { i: 6 });
    await turn();
    expect(ids(await hub.subscribe({ tenant: null, keyId: null, runId: null }, 4).next(10))).toEqual([5, 6, 7]);
    expect(ids(await hub.subscribe({ tenant: null, keyId: null, runId: null }, 3).next(10))).toEqual([
      'dropped:replay_gap:null',
      5,
      6,
      7,
    ]);
  });

  it('close ends every subscription', async () => {
    const counts: number[] = [];
    const hub = createEventHub({ ringSize: 3, subscriberBuffer: 10, onSubscribers: (n) => counts.push(n) });
    const sub = hub.subscribe({ tenant: null, keyId: null, runId: null }, null);
    const waiting = sub.next(60_000);
    hub.close();
    expect(await waiting).toBeNull();
    expect(counts).toEqual([1, 0]);
  });
});
