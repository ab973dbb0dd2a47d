// A small pool of worker threads that count tokens off the event loop. Counting a request's
// never-seen 2M characters takes about half a second even with gpt-tokenizer; on the event
// loop that stalls every other call, so the tokenizer hands such requests' texts to this
// pool in batches (the least busy worker takes each). Each worker loads its own encoders.
// A worker that fails rejects its pending counts and leaves the pool; callers fall back to
// counting in-thread. The threads start on the first count, not with the pool: an idle
// runcap that never sees a large never-seen text never pays their ~10 MB of RSS.
// No ledger, no HTTP; the only I/O is starting the worker threads.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Encoding } from '../pricing/types.js';
import type { CountMessage, CountReply } from './token-count-worker.js';

export interface TokenCountPool {
  /** Tokens in each of `texts` under `encoding`, counted on one worker thread. */
  count(texts: readonly string[], encoding: Encoding): Promise<readonly number[]>;
  /** Starts the workers and loads the encoders in each now (~0.2 s each), not on the first large call. Never rejects. */
  warm(encodings: Iterable<Encoding>): Promise<void>;
  /** Worker threads in the pool (those not started yet included). */
  readonly size: number;
  /** Whether the worker threads run: they start on the first count (or warm). */
  readonly started: boolean;
  close(): Promise<void>;
}

export interface TokenCountPoolOptions {
  /** Worker threads; default min(2, cores - 1), at least 1. */
  readonly size?: number;
  /** The compiled worker script; default token-count-worker.js beside this module. */
  readonly workerUrl?: URL;
}

export const TOKEN_COUNT_WORKER_URL = new URL('./token-count-worker.js', import.meta.url);

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

interface Pending {
  readonly resolve: (counts: readonly number[]) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/**
 * Creates the pool (its threads start on the first count), or returns null when the worker script is not there (running from
 * TypeScript sources, e.g. under vitest): callers then count on the event loop.
 */
export function createTokenCountPool(options: TokenCountPoolOptions = {}): TokenCountPool | null {
  const url = options.workerUrl ?? TOKEN_COUNT_WORKER_URL;
  if (!existsSync(fileURLToPath(url))) return null;
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const remove = (slot: Slot, error: Error): void => {
    const index = slots.indexOf(slot);
    if (index !== -1) slots.splice(index, 1);
    for (const waiter of slot.pending.values()) waiter.reject(error);
    slot.pending.clear();
  };

  const startSlot = (): Slot => {
    const slot: Slot = { worker: new Worker(url), pending: new Map() };
    slot.worker.unref(); // idle workers never keep the process alive
    slot.worker.on('message', (reply: CountReply) => {
      const waiter = slot.pending.get(reply.id);
      if (waiter === undefined) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) slot.worker.unref();
      if ('error' in reply) waiter.reject(new Error(`token count failed: ${reply.error}`));
      else waiter.resolve(reply.counts);
    });
    slot.worker.on('error', (error) => remove(slot, error));
    slot.worker.on('exit', (code) => remove(slot, new Error(`token-count worker exited with code ${code}`)));
    return slot;
  };

  const size = options.size ?? defaultPoolSize();
  let started = false;
  const start = (): void => {
    if (started || closed) return;
    started = true;
    for (let index = 0; index < size; index += 1) slots.push(startSlot());
  };

  const send = (slot: Slot, texts: readonly string[], encoding: Encoding): Promise<readonly number[]> => {
    const id = nextId++;
    return new Promise<readonly number[]>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      if (slot.pending.size === 1) slot.worker.ref(); // a count in flight keeps the process alive
      const message: CountMessage = { id, texts, encoding };
      slot.worker.postMessage(message);
    });
  };

  return {
    count(texts, encoding) {
      try {
        start();
      } catch (error) {
        // A thread that cannot start: the caller counts on the event loop.
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      // The least busy worker; ties go to the first.
      let slot: Slot | undefined;
      for (const candidate of slots)
        if (slot === undefined || candidate.pending.size < slot.pending.size) slot = candidate;
      if (closed || slot === undefined)
        return Promise.reject(new Error('token-count pool is closed or has no live worker'));
      return send(slot, texts, encoding);
    },
    get size() {
      return started ? slots.length : size;
    },
    get started() {
      return started;
    },
    async warm(encodings) {
      try {
        start();
      } catch {
        return;
      }
      const each = [...new Set(encodings)];
      // A worker that fails here has already left the pool; never fail start-up for it.
      await Promise.allSettled(slots.flatMap((slot) => each.map((encoding) => send(slot, ['warm up'], encoding))));
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
