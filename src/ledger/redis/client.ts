// The Redis connection of the ledger: standalone or Cluster from a URL, tuned to fail
// fast (short connect and command timeouts, no offline queue, no silent replays) and to
// reconnect on its own; and the mapping of any Redis failure to ledger_unavailable.
// Owns connection settings only; no ledger logic here.
import { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './scripts.js';
import { LedgerError } from '../types.js';

export interface RedisConnectionOptions {
  /** `redis://host:port[/db]`, or a comma-separated list of cluster nodes `redis://host:port,...`. */
  readonly url: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** How long opening waits for a first ready (a Cluster under load may need more than one connect timeout). */
const STARTUP_WAIT_MS = 5_000;

/** Reconnect backoff: 100 ms, 200 ms, ... capped at 1 s, forever (runcap recovers without a restart). */
const reconnectDelay = (attempt: number): number => Math.min(attempt * 100, 1_000);

function clusterNodes(urls: readonly string[]): {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
} {
  let username: string | undefined;
  let password: string | undefined;
  let tls = false;
  const nodes = urls.map((text) => {
    const url = new URL(text);
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`not a redis:// URL: ${text}`);
    if (url.protocol === 'rediss:') tls = true;
    if (url.username !== '') username = decodeURIComponent(url.username);
    if (url.password !== '') password = decodeURIComponent(url.password);
    return { host: url.hostname, port: url.port === '' ? 6379 : Number(url.port) };
  });
  return {
    nodes,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    tls,
  };
}

/**
 * Creates the client and waits for it to be ready, or for its first error, or at most
 * STARTUP_WAIT_MS. Never throws on an unreachable server: runcap starts during a
 * ledger outage, applies its failure policy and recovers when Redis comes back.
 */
export async function connectRedis(options: RedisConnectionOptions): Promise<RedisClient> {
  const urls = options.url
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (urls.length === 0) throw new Error('the Redis ledger needs a redis:// URL');
  const common = {
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    // A call whose connection drops fails at once (the pipeline's outage policy applies);
    // it is never queued while disconnected or replayed after a reconnect.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableReadyCheck: true,
  };
  let client: RedisClient;
  if (urls.length === 1) {
    const [url] = urls;
    if (url === undefined || !/^rediss?:\/\//.test(url)) throw new Error(`not a redis:// URL: ${options.url}`);
    // Commands issued in the same tick (many concurrent calls) go out in one write. Not on
    // Cluster: there a pipelined batch hit by a MOVED during a reshard is not redirected.
    client = new Redis(url, {
      ...common,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      retryStrategy: reconnectDelay,
    });
  } else {
    const { nodes, tls, ...credentials } = clusterNodes(urls);
    client = new Cluster(nodes, {
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelay,
      slotsRefreshTimeout: options.connectTimeoutMs,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      redisOptions: { ...common, ...credentials, ...(tls ? { tls: {} } : {}) },
    });
  }
  // Connection errors reach callers as rejected commands (-> ledger_unavailable); the
  // listener only keeps ioredis from printing "Unhandled error event" on every retry.
  client.on('error', () => undefined);
  await waitReady(client, Math.max(STARTUP_WAIT_MS, options.connectTimeoutMs));
  return client;
}

function waitReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    client.once('ready', done);
    client.once('error', done);
  });
}

export async function closeRedis(client: RedisClient): Promise<void> {
  try {
    await client.quit();
  } catch {
    // Not connected: nothing to flush; stop the reconnect loop.
  } finally {
    client.disconnect();
  }
}

export function toLedgerError(error: unknown): LedgerError {
  if (error instanceof LedgerError) return error;
  const wrapped = new LedgerError(
    'ledger_unavailable',
    `redis ledger: ${error instanceof Error ? error.message : String(error)}`,
  );
  wrapped.cause = error;
  return wrapped;
}

/** Runs a Redis step; LedgerErrors pass through, any other failure becomes ledger_unavailable (docs/design.md §3.4). */
export async function guardedRedis<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw toLedgerError(error);
  }
}
