// Ledger throughput: sequential reserve+commit pairs per second on a SQLite file in the
// temp folder, with synchronous NORMAL and FULL, for 1 and 3 scopes. Prints a table.
// Measures the store only (no HTTP). Usage: node dist/bench/ledger.js [pairs]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSqliteStore } from '../src/ledger/index.js';
import type { ScopeSpec, SqliteSynchronous } from '../src/ledger/index.js';

interface BenchRow {
  readonly synchronous: SqliteSynchronous;
  readonly scopes: number;
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

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

async function measure(synchronous: SqliteSynchronous, scopeCount: number, pairs: number): Promise<BenchRow> {
  const dir = mkdtempSync(join(tmpdir(), 'runcap-bench-ledger-'));
  const store = openSqliteStore({ path: join(dir, 'ledger.sqlite'), synchronous });
  const scopes = SCOPES.slice(0, scopeCount);
  const attribution = {
    runId: 'run_bench',
    keyId: 'k_bench',
    userId: null,
    teamId: 'research',
    feature: null,
    endpoint: '/v1/chat/completions',
  };
  const latenciesUs: number[] = [];
  try {
    const warmup = Math.min(200, pairs);
    for (let index = 0; index < pairs + warmup; index += 1) {
      const before = process.hrtime.bigint();
      const outcome = await store.ledger.reserve({
        reservationId: `rsv_bench_${index}`,
        decisionId: `bdgdec_bench_${index}`,
        tenant: 'bench',
        scopes,
        amountMicros: 5_000,
        ttlMs: 600_000,
        model: 'gpt-4o-mini',
        priceTableVersion: 'bench',
        attribution,
      });
      if (outcome.kind !== 'reserved') throw new Error('bench reserve was blocked');
      await store.ledger.commit(outcome.reservation.id, { actualMicros: 3_000, usageSource: 'provider' });
      if (index >= warmup) latenciesUs.push(Number(process.hrtime.bigint() - before) / 1_000);
    }
    const sorted = [...latenciesUs].sort((a, b) => a - b);
    // The loop is sequential, so the summed pair latencies are the measured wall time.
    const measuredS = sorted.reduce((sum, us) => sum + us, 0) / 1e6;
    return {
      synchronous,
      scopes: scopeCount,
      pairs,
      pairsPerSecond: Math.round(pairs / measuredS),
      p50Us: Math.round(percentile(sorted, 0.5)),
      p99Us: Math.round(percentile(sorted, 0.99)),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runLedgerBench(pairs = 5_000): Promise<readonly BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const synchronous of ['NORMAL', 'FULL'] as const) {
    for (const scopeCount of [1, 3]) rows.push(await measure(synchronous, scopeCount, pairs));
  }
  return rows;
}

export function formatLedgerBench(rows: readonly BenchRow[]): string {
  const header = ['synchronous', 'scopes', 'pairs', 'pairs/s', 'p50 µs', 'p99 µs'];
  const lines = rows.map((row) =>
    [row.synchronous, row.scopes, row.pairs, row.pairsPerSecond, row.p50Us, row.p99Us].map(String),
  );
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]?.length ?? 0)),
  );
  const render = (cells: readonly string[]): string =>
    cells.map((cell, column) => cell.padStart(widths[column] ?? 0)).join('  ');
  return [render(header), ...lines.map(render)].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const pairs = Number.parseInt(process.argv[2] ?? '5000', 10);
  console.log(formatLedgerBench(await runLedgerBench(Number.isSafeInteger(pairs) && pairs > 0 ? pairs : 5_000)));
}
