// The ledger alone (no HTTP): reserve+commit pairs per second for SQLite (a temp file,
// synchronous NORMAL, the default) and Redis (one Lua script per operation), with 1 and
// 3 scopes, one pair at a time and 32 pairs in flight. Each pair is what one proxied call
// costs the ledger besides mark_forwarded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type ScopeSpec, type Store } from '../../src/ledger/index.js';
import { openRedisStore } from '../../src/ledger/redis-store.js';
import type { RedisChoice } from '../lib/processes.js';
import { fixed, median, percentile, ratio, type Table } from '../lib/stats.js';
import { unique, type BenchContext, type ScenarioResult } from './context.js';

const SCOPES: readonly ScopeSpec[] = [
  { type: 'run', id: 'run_bench', window: 'none', limitMicros: Number.MAX_SAFE_INTEGER, mode: 'hard_gate' },
  { type: 'key', id: 'k_bench', window: '1d', limitMicros: Number.MAX_SAFE_INTEGER, mode: 'hard_gate' },
  { type: 'team', id: 'research', window: 'month', limitMicros: null, mode: 'hard_gate' },
];

interface Measure {
  pairsPerS: number;
  p50Us: number;
  p99Us: number;
}

async function pairs(store: Store, scopeCount: number, count: number, inFlight: number, label: string): Promise<Measure> {
  const scopes = SCOPES.slice(0, scopeCount);
  const attribution = { runId: 'run_bench', keyId: 'k_bench', userId: null, teamId: 'research', feature: null, endpoint: 'chat' };
  const latenciesUs: number[] = [];
  let next = 0;
  const one = async (index: number): Promise<void> => {
    const started = process.hrtime.bigint();
    const outcome = await store.ledger.reserve({
      reservationId: `rsv_${label}_${index}`, decisionId: `bdgdec_${label}_${index}`, tenant: 'bench', scopes,
      amountMicros: 5_000, ttlMs: 600_000, model: 'gpt-4o-mini', priceTableVersion: 'bench', attribution,
    });
    if (outcome.kind !== 'reserved') throw new Error('bench reserve was blocked');
    await store.ledger.commit(outcome.reservation.id, { actualMicros: 3_000, usageSource: 'provider' });
    latenciesUs.push(Number(process.hrtime.bigint() - started) / 1e3);
  };
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) await one(index);
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  return { pairsPerS: count / elapsedS, p50Us: percentile(latenciesUs, 0.5), p99Us: percentile(latenciesUs, 0.99) };
}

export async function runLedgerScenario(context: BenchContext, redis: RedisChoice | null): Promise<ScenarioResult> {
  const count = context.timeScale < 1 ? 1_000 : 3_000;
  const backends: { name: string; open: () => Promise<{ store: Store; cleanup: () => void }> }[] = [
    {
      name: 'sqlite (NORMAL)',
      open: () => {
        const dir = mkdtempSync(join(tmpdir(), 'runcap-bench-ledger-'));
        const store = openSqliteStore({ path: join(dir, 'ledger.sqlite') });
        return Promise.resolve({ store, cleanup: () => rmSync(dir, { recursive: true, force: true }) });
      },
    },
  ];
  if (redis) {
    backends.push({
      name: 'redis',
      open: async () => ({ store: await openRedisStore({ url: redis.url, keyPrefix: `${unique('bench')}:` }), cleanup: () => undefined }),
    });
  } else {
    context.notes.push('Ledger: Redis skipped (no Redis available).');
  }
  const rows: string[][] = [];
  const data: Record<string, Measure[]> = {};
  for (const backend of backends) {
    for (const scopeCount of [1, 3]) {
      for (const inFlight of [1, 32]) {
        const samples: Measure[] = [];
        for (let round = 0; round < context.rounds; round += 1) {
          const { store, cleanup } = await backend.open();
          try {
            await pairs(store, scopeCount, Math.min(200, count), inFlight, unique('warm'));
            samples.push(await pairs(store, scopeCount, count, inFlight, unique('pair')));
          } finally {
            await store.close();
            cleanup();
          }
        }
        const key = `${backend.name}, ${scopeCount} scope${scopeCount > 1 ? 's' : ''}, ${inFlight} in flight`;
        data[key] = samples;
        const pick = (field: keyof Measure): number => median(samples.map((sample) => sample[field]));
        rows.push([key, fixed(pick('pairsPerS'), 0), fixed(pick('p50Us'), 0), fixed(pick('p99Us'), 0)]);
        context.log(`  ${key}: ${fixed(pick('pairsPerS'), 0)} pairs/s`);
      }
    }
  }
  const sqliteSolo = data['sqlite (NORMAL), 3 scopes, 1 in flight'];
  const redisSolo = data['redis, 3 scopes, 1 in flight'];
  const table: Table = {
    title: `Ledger alone: reserve+commit pairs (${count} per measure) — medians of ${context.rounds} rounds`,
    header: ['backend, scopes, concurrency', 'pairs/s', 'p50 µs/pair', 'p99 µs/pair'],
    rows,
    notes: redisSolo && sqliteSolo
      ? [`Redis/SQLite pairs/s, 3 scopes, 1 in flight: ${fixed(ratio(median(redisSolo.map((s) => s.pairsPerS)), median(sqliteSolo.map((s) => s.pairsPerS))), 2)}.`]
      : [],
  };
  return { tables: [table], data };
}
