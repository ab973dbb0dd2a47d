// The live event feed behind GET /budget/events (docs/api.md "Events", docs/design.md §13): every
// decision and settlement, numbered in publish order (ids monotonic per process), kept in a
// bounded ring for reconnects (Last-Event-ID) and fanned out to subscribers, each with a bounded
// queue. Publishing is synchronous and cheap (an id and an array push); matching, fan-out and
// serialisation happen on a later turn, off the request path. A slow subscriber loses events
// (counted) and never slows a publisher. Knows nothing of HTTP.

/** What a subscriber sees: decisions and their settlements. */
export type BudgetEventType = 'decision' | 'settlement';

/** The principal an event belongs to (who may see it) and the run it concerns. */
export interface EventOwner {
  readonly tenant: string;
  readonly keyId: string;
  readonly runId: string | null;
}

export interface BudgetEvent {
  readonly id: number;
  readonly type: BudgetEventType;
  readonly owner: EventOwner;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Which events a subscriber receives: null fields match everything. */
export interface EventFilter {
  readonly tenant: string | null;
  readonly keyId: string | null;
  readonly runId: string | null;
}

/** What a subscription yields: events, or a notice that some were lost. */
export type FeedItem =
  | { readonly kind: 'event'; readonly event: BudgetEvent; readonly text: string }
  | {
      readonly kind: 'dropped';
      /** slow_consumer: the queue was full; replay_gap: Last-Event-ID is older than the ring. */
      readonly reason: 'slow_consumer' | 'replay_gap';
      readonly count: number | null;
    };

export interface Subscription {
  /** The next items; waits up to `waitMs` for one (empty array: nothing came; null: the feed closed). */
  next(waitMs: number): Promise<FeedItem[] | null>;
  close(): void;
}

export interface EventHubOptions {
  /** Events kept for reconnects. */
  readonly ringSize: number;
  /** Events queued per subscriber before it starts losing them. */
  readonly subscriberBuffer: number;
  /** A subscriber's queue was full: one event lost. */
  readonly onDropped?: () => void;
  readonly onSubscribers?: (count: number) => void;
}

export interface EventHub {
  publish(type: BudgetEventType, owner: EventOwner, data: Readonly<Record<string, unknown>>): void;
  /** Events after `lastEventId` still in the ring are replayed first. */
  subscribe(filter: EventFilter, lastEventId: number | null): Subscription;
  /** Ends every subscription (shutdown); later publishes go nowhere. */
  close(): void;
}

interface Subscriber {
  readonly filter: EventFilter;
  queue: FeedItem[];
  dropped: number;
  wake: (() => void) | null;
  closed: boolean;
}

function matches(filter: EventFilter, owner: EventOwner): boolean {
  return (
    (filter.tenant === null || filter.tenant === owner.tenant) &&
    (filter.keyId === null || filter.keyId === owner.keyId) &&
    (filter.runId === null || filter.runId === owner.runId)
  );
}

export function createEventHub(options: EventHubOptions): EventHub {
  // The last `ringSize` events, oldest at ringStart: a circular buffer, so keeping the newest
  // never moves the 10,000 others (an Array.splice of the head did, on every publishing turn).
  const ring: BudgetEvent[] = [];
  let ringStart = 0;
  const ringAt = (index: number): BudgetEvent => ring[(ringStart + index) % options.ringSize] as BudgetEvent;
  const keep = (event: BudgetEvent): void => {
    if (ring.length < options.ringSize) ring.push(event);
    else {
      ring[ringStart] = event;
      ringStart = (ringStart + 1) % options.ringSize;
    }
  };
  const texts = new WeakMap<BudgetEvent, string>();
  const subscribers = new Set<Subscriber>();
  let pending: BudgetEvent[] = [];
  let scheduled = false;
  let lastId = 0;
  let closed = false;

  const textOf = (event: BudgetEvent): string => {
    let text = texts.get(event);
    if (text === undefined) {
      // `{ ...data, event_id }` would cost ~1.5 µs per key of data on Node 20; the same text, appended.
      const data = JSON.stringify(event.data);
      text = `${data.slice(0, -1)}${data.length > 2 ? ',' : ''}"event_id":${event.id}}`;
      texts.set(event, text);
    }
    return text;
  };

  const wake = (subscriber: Subscriber): void => {
    const resume = subscriber.wake;
    subscriber.wake = null;
    resume?.();
  };

  const offer = (subscriber: Subscriber, event: BudgetEvent): void => {
    if (subscriber.closed || !matches(subscriber.filter, event.owner)) return;
    if (subscriber.queue.length >= options.subscriberBuffer) {
      subscriber.dropped += 1;
      options.onDropped?.();
      return;
    }
    if (subscriber.dropped > 0) {
      subscriber.queue.push({ kind: 'dropped', reason: 'slow_consumer', count: subscriber.dropped });
      subscriber.dropped = 0;
    }
    subscriber.queue.push({ kind: 'event', event, text: textOf(event) });
    wake(subscriber);
  };

  /** A later turn: the ring and the fan-out (serialised once per event, when someone reads it). */
  const flush = (): void => {
    scheduled = false;
    const batch = pending;
    pending = [];
    for (const event of batch) {
      keep(event);
      for (const subscriber of subscribers) offer(subscriber, event);
    }
  };

  return {
    publish(type, owner, data) {
      if (closed) return;
      lastId += 1;
      pending.push({ id: lastId, type, owner, data });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    subscribe(filter, lastEventId) {
      const subscriber: Subscriber = { filter, queue: [], dropped: 0, wake: null, closed };
      if (lastEventId !== null) {
        const oldest = ring.length > 0 ? ringAt(0).id : lastId + 1;
        // Events between Last-Event-ID and the ring's oldest are gone (the ring moved past them),
        // or the id is from before this process started (ids restart with the process).
        if ((lastEventId < oldest - 1 && lastEventId < lastId) || lastEventId > lastId)
          subscriber.queue.push({ kind: 'dropped', reason: 'replay_gap', count: null });
        for (let index = 0; index < ring.length; index += 1) {
          const event = ringAt(index);
          if (event.id > lastEventId && matches(filter, event.owner))
            subscriber.queue.push({ kind: 'event', event, text: textOf(event) });
        }
      }
      if (!closed) subscribers.add(subscriber);
      options.onSubscribers?.(subscribers.size);
      return {
        async next(waitMs) {
          if (subscriber.queue.length === 0 && !subscriber.closed) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                subscriber.wake = null;
                resolve();
              }, waitMs);
              timer.unref();
              subscriber.wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
          }
          if (subscriber.queue.length === 0 && subscriber.closed) return null;
          const items = subscriber.queue;
          subscriber.queue = [];
          return items;
        },
        close() {
          if (subscriber.closed) return;
          subscriber.closed = true;
          subscribers.delete(subscriber);
          options.onSubscribers?.(subscribers.size);
          wake(subscriber);
        },
      };
    },
    close() {
      closed = true;
      for (const subscriber of subscribers) {
        subscriber.closed = true;
        wake(subscriber);
      }
      subscribers.clear();
      options.onSubscribers?.(0);
    },
  };
}
