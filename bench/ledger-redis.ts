// Redis ledger throughput: reserve+commit pairs per second against a running Redis, for
// 1 and 3 scopes, sequential (one pair at a time: latency-bound) and with 64 pairs in
// flight (what several concurrent requests of one instance see). Prints a table; keys go
// under a random prefix and are deleted afterwards. Measures the store only (no HTTP).
// Usage: node dist-bench/bench/ledger-redis.js [redis://127.0.0.1:6379] [pairs]
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import type { ScopeSpec, Store } from '../src/ledger/index.js';
import { openRedisStore } from '../src/ledger/redis/index.js';

interface BenchRow {
  readonly scopes: number;
  readonly inFlight: number;
  readonly pairs: number;
  readonly pairsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

const SCOPES: readonly ScopeSpec[] = [
  { type: 'run', id: 'run_bench', window: 'none', limitMicros: Number.MAX_SAFE_INTEGER, mode: 'hard_gate' },
  { type: 'key', id: 'k_bench', window: '1d', limitMicros: Number.MAX_SAFE_INTEGER, mode: 'hard_gate' },
  { type: 'team', id: 'research', window: 'month', limitMicros: null, mode: 'hard_gate' },
];
const ATTRIBUTION = {
  runId: 'run_bench',
  keyId: 'k_bench',
  userId: null,
  teamId: 'research',
  feature: null,
  endpoint: '/v1/chat/completions',
};

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

async function pair(store: Store, id: string, scopes: readonly ScopeSpec[]): Promise<number> {
  const before = process.hrtime.bigint();
  const outcome = await store.ledger.reserve({
    reservationId: id,
    decisionId: `bdgdec_${id}`,
    tenant: 'bench',
    scopes,
    amountMicros: 5_000,
    ttlMs: 600_000,
    model: 'gpt-4o-mini',
    priceTableVersion: 'bench',
    attribution: ATTRIBUTION,
  });
  if (outcome.kind !== 'reserved') throw new Error('bench reserve was blocked');
  await store.ledger.commit(id, { actualMicros: 3_000, usageSource: 'provider' });
  return Number(process.hrtime.bigint() - before) / 1_000;
}

async function measure(store: Store, scopeCount: number, inFlight: number, pairs: number): Promise<BenchRow> {
  const scopes = SCOPES.slice(0, scopeCount);
  const label = `${scopeCount}_${inFlight}_${randomUUID()}`;
  for (let index = 0; index < Math.min(200, pairs); index += 1) await pair(store, `rsv_warm_${label}_${index}`, scopes);
  const latenciesUs: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    for (let index = next++; index < pairs; index = next++)
      latenciesUs.push(await pair(store, `rsv_${label}_${index}`, scopes));
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = [...latenciesUs].sort((a, b) => a - b);
  return {
    scopes: scopeCount,
    inFlight,
    pairs,
    pairsPerSecond: Math.round(pairs / elapsedS),
    p50Us: Math.round(percentile(sorted, 0.5)),
    p99Us: Math.round(percentile(sorted, 0.99)),
  };
}

async function deletePrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export async function runRedisLedgerBench(url = 'redis://127.0.0.1:6379', pairs = 5_000): Promise<readonly BenchRow[]> {
  const keyPrefix = `runcap-bench:${randomUUID()}:`;
  const store = await openRedisStore({ url, keyPrefix });
  const rows: BenchRow[] = [];
  try {
    for (const inFlight of [1, 64]) {
      for (const scopeCount of [1, 3]) rows.push(await measure(store, scopeCount, inFlight, pairs));
    }
  } finally {
    await store.close();
    await deletePrefix(url, keyPrefix);
  }
  return rows;
}

export function formatRedisLedgerBench(rows: readonly BenchRow[]): string {
  const header = ['scopes', 'in flight', 'pairs', 'pairs/s', 'p50 µs', 'p99 µs'];
  const lines = rows.map((row) =>
    [row.scopes, row.inFlight, row.pairs, row.pairsPerSecond, row.p50Us, row.p99Us].map(String),
  );
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]?.length ?? 0)),
  );
  const render = (cells: readonly string[]): string =>
    cells.map((cell, column) => cell.padStart(widths[column] ?? 0)).join('  ');
  return [render(header), ...lines.map(render)].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.argv[2] ?? process.env.RUNCAP_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const pairs = Number.parseInt(process.argv[3] ?? '5000', 10);
  console.log(
    formatRedisLedgerBench(await runRedisLedgerBench(url, Number.isSafeInteger(pairs) && pairs > 0 ? pairs : 5_000)),
  );
}
