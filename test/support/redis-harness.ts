// Ledger-contract harness for the Redis store: every test gets its own random key prefix
// (so runs and tests never see each other's keys), a fake clock passed to the scripts,
// and multi-process race workers on the same prefix. dispose() deletes what tests wrote.
import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { openRedisStore } from '../../src/ledger/redis/index.js';
import type { LedgerFactory } from './ledger-contract.js';
import { CONTRACT_ALERT_THRESHOLDS, START_MS } from './ledger-fixtures.js';
import { spawnRaceWorkers } from './ledger-race.js';

export interface RedisHarness {
  /** Fake clock + multi-process races. */
  readonly fakeClock: LedgerFactory;
  /** Redis TIME, no race workers. */
  readonly realClock: LedgerFactory;
  dispose(): Promise<void>;
}

/**
 * The contract checks semantics, not latency: a generous timeout keeps a loaded CI box
 * (several test files, race workers and three cluster nodes on two cores) from failing
 * calls. Fail-fast timeouts are tested in ledger-redis-outage.test.ts.
 */
const TEST_COMMAND_TIMEOUT_MS = 5_000;

export const REDIS_SKIP_MESSAGE =
  'Redis ledger tests skipped: set RUNCAP_TEST_REDIS_URL=redis://127.0.0.1:6379 to run them';

/** Every test store's key prefix is `rctest:<uuid>:` (a fixed length). */
const PREFIX_ROOT = 'rctest:';
const PREFIX_LENGTH = PREFIX_ROOT.length + 36 + 1;

function cleanupClient(url: string): Redis | Cluster {
  const urls = url.split(',').map((part) => part.trim());
  if (urls.length === 1) return new Redis(urls[0] ?? url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  return new Cluster(urls.map((text) => ({ host: new URL(text).hostname, port: Number(new URL(text).port) })));
}

/**
 * Deletes every key under the given prefixes in one SCAN pass per master: a pass per prefix
 * would walk the whole keyspace once per test, which on a shared Redis that other suites fill
 * outlasts the hook timeout.
 */
async function deleteByPrefixes(client: Redis | Cluster, prefixes: readonly string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const wanted = new Set(prefixes);
  const masters = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of masters) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${PREFIX_ROOT}*`, 'COUNT', 1000);
      cursor = next;
      const ours = keys.filter((key) => wanted.has(key.slice(0, PREFIX_LENGTH)));
      if (ours.length > 0) await ours.reduce((pipeline, key) => pipeline.unlink(key), node.pipeline()).exec();
    } while (cursor !== '0');
  }
}

export function createRedisHarness(url: string): RedisHarness {
  const prefixes: string[] = [];
  const open = async (fake: boolean) => {
    const keyPrefix = `${PREFIX_ROOT}${randomUUID()}:`;
    prefixes.push(keyPrefix);
    let nowMs = START_MS;
    const store = await openRedisStore({
      url,
      keyPrefix,
      commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS,
      skewToleranceMs: 1_000,
      alertThresholds: CONTRACT_ALERT_THRESHOLDS,
      ...(fake ? { clockOverride: () => nowMs } : {}),
    });
    return { store, keyPrefix, setClock: (ms: number) => void (nowMs = ms) };
  };
  return {
    fakeClock: async () => {
      const { store, keyPrefix, setClock } = await open(true);
      return {
        store,
        setClock,
        raceWorkers: spawnRaceWorkers({
          backend: 'redis',
          options: { url, keyPrefix, commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS },
        }),
        cleanup: () => store.close(),
      };
    },
    realClock: async () => {
      const { store } = await open(false);
      return { store, cleanup: () => store.close() };
    },
    dispose: async () => {
      const client = cleanupClient(url);
      try {
        await deleteByPrefixes(client, prefixes.splice(0));
      } finally {
        client.disconnect();
      }
    },
  };
}
