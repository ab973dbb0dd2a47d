// The ledger alone (no HTTP): reserve+commit pairs per second for SQLite (a temp file,
// synchronous NORMAL, the default) and Redis (one Lua script per operation), with 1 and
// 3 scopes, one pair at a time and 32 pairs in flight; and the whole store sequence of one
// proxied call as the pipeline issues it (open run, reserve, decision record, commit, record
// patch) with its CPU time, which is what the HTTP figures pay for the ledger. One more row per backend
// runs the 1-scope pairs with the runaway brakes on (velocity and loop, never refusing), which is
// what a call pays for them. With --baseline, the baseline build's SQLite store runs the same
// measures in the same run (its dist/ledger, imported in this process), interleaved round by round.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSqliteStore, type RunBrakes, type ScopeSpec, type Store } from '../../src/ledger/index.js';
import { openRedisStore } from '../../src/ledger/redis/index.js';
import type { RedisChoice } from '../lib/processes.js';
import { fixed, median, percentile, ratio, type Table } from '../lib/stats.js';
import { roundOrder, unique, type BenchContext, type ScenarioResult } from './context.js';

const SCOPES: readonly ScopeSpec[] = [
  { type: 'run', id: 'run_bench', window: 'none', limitMicros: Number.MAX_SAFE_INTEGER, mode: 'hard_gate' },
  { type: 'key', id: 'k_bench', window: '1d', limitMicros: Number.MAX_SAFE_INTEGER, mode: 'hard_gate' },
  { type: 'team', id: 'research', window: 'month', limitMicros: null, mode: 'hard_gate' },
];

interface Measure {
  pairsPerS: number;
  p50Us: number;
  p99Us: number;
  /** CPU of this process (all threads) per pair: steadier than pairs/s on a loaded machine. */
  cpuUs: number;
}

async function pairs(
  store: Store,
  scopeCount: number,
  count: number,
  inFlight: number,
  label: string,
  withBrakes = false,
): Promise<Measure> {
  const scopes = SCOPES.slice(0, scopeCount);
  const attribution = {
    runId: 'run_bench',
    keyId: 'k_bench',
    userId: null,
    teamId: 'research',
    feature: null,
    endpoint: 'chat',
  };
  const latenciesUs: number[] = [];
  let next = 0;
  // Both brakes on and never refusing: a per-minute limit no pair reaches, steps that alternate.
  const brakes = (index: number): RunBrakes | undefined =>
    withBrakes
      ? {
          velocity: { limitMicros: Number.MAX_SAFE_INTEGER },
          loop: { runId: 'run_bench', stepHash: `step-${index % 2}`, maxRepeats: 3 },
        }
      : undefined;
  const one = async (index: number): Promise<void> => {
    const started = process.hrtime.bigint();
    const runBrakes = brakes(index);
    const outcome = await store.ledger.reserve({
      ...(runBrakes === undefined ? {} : { brakes: runBrakes }),
      reservationId: `rsv_${label}_${index}`,
      decisionId: `bdgdec_${label}_${index}`,
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
    latenciesUs.push(Number(process.hrtime.bigint() - started) / 1e3);
  };
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) await one(index);
  };
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    pairsPerS: count / elapsedS,
    p50Us: percentile(latenciesUs, 0.5),
    p99Us: percentile(latenciesUs, 0.99),
    cpuUs: (cpu.user + cpu.system) / count,
  };
}

/** The store operations of one proxied call, in pipeline order; returns CPU and wall µs per call. */
async function callSequences(store: Store, count: number, label: string): Promise<{ cpuUs: number; wallUs: number }> {
  // The run scope holds against the run's own ceiling, as the pipeline builds it from the run.
  const scopes: ScopeSpec[] = [
    { type: 'run', id: `run_${label}`, window: 'none', limitMicros: 1e12, mode: 'hard_gate' },
  ];
  const attribution = {
    runId: `run_${label}`,
    keyId: 'k_bench',
    userId: null,
    teamId: null,
    feature: null,
    endpoint: 'chat',
  };
  // A decision record of the size the pipeline stores (~1.5 KB of JSON).
  const record: Record<string, unknown> = {};
  for (let field = 0; field < 40; field += 1)
    record[`field_${field}`] = field % 3 === 0 ? field : `value-${field}-${'x'.repeat(20)}`;
  // As the pipeline issues them: the run opened on its first call (on every call where the ledger
  // does not check runs itself), the hold created forwarded, the decision record written behind
  // the reserve, the commit, the record's patch written behind the commit.
  let opened = false;
  const one = async (index: number): Promise<void> => {
    if (!opened || store.ledger.checksRuns !== true) {
      await store.runs.open({
        tenant: 'bench',
        runId: `run_${label}`,
        keyId: 'k_bench',
        limitMicros: 1e12,
        idleTtlMs: 86_400_000,
        maxActivePerKey: 1000,
        tags: {},
        createOnly: false,
      });
    }
    const runCheck =
      opened && store.ledger.checksRuns === true ? { runCheck: { runId: `run_${label}`, keyId: 'k_bench' } } : {};
    opened = true;
    const outcome = await store.ledger.reserve({
      reservationId: `rsv_${label}_${index}`,
      decisionId: `bdgdec_${label}_${index}`,
      tenant: 'bench',
      scopes,
      amountMicros: 5_000,
      ttlMs: 600_000,
      idempotencyKey: null,
      model: 'gpt-4o-mini',
      priceTableVersion: 'bench',
      attribution,
      forwarded: true,
      ...runCheck,
    });
    if (outcome.kind !== 'reserved') throw new Error('bench reserve was blocked');
    const put = store.decisions.put({
      id: `bdgdec_${label}_${index}`,
      tenant: 'bench',
      keyId: 'k_bench',
      createdAtMs: Date.now(),
      record,
    });
    await store.ledger.commit(outcome.reservation.id, {
      actualMicros: 3_000,
      usageSource: 'provider',
      tokens: { inputTokens: 300, outputTokens: 140, cachedInputTokens: 0, reasoningTokens: 0 },
    });
    const patch = store.decisions.patch(`bdgdec_${label}_${index}`, {
      state: 'settled',
      actual_usd: '0.003',
      usage_source: 'provider',
      overrun_usd: '0.00',
      usage: { input_tokens: 300, output_tokens: 140 },
      settled_at: new Date().toISOString(),
    });
    await Promise.all([put, patch]);
  };
  for (let index = 0; index < 200; index += 1) await one(-1 - index);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let index = 0; index < count; index += 1) await one(index);
  const wallUs = Number(process.hrtime.bigint() - started) / 1e3 / count;
  const cpu = process.cpuUsage(cpuBefore);
  return { cpuUs: (cpu.user + cpu.system) / count, wallUs };
}

interface Backend {
  readonly id: string;
  readonly name: string;
  readonly open: () => Promise<{ store: Store; cleanup: () => void }>;
}

/** A SQLite store on a fresh temp file, opened by `open` (this build's, or a baseline build's). */
function sqliteBackend(id: string, name: string, open: typeof openSqliteStore): Backend {
  return {
    id,
    name,
    open: () => {
      const dir = mkdtempSync(join(tmpdir(), 'runcap-bench-ledger-'));
      const store = open({ path: join(dir, 'ledger.sqlite') });
      return Promise.resolve({ store, cleanup: () => rmSync(dir, { recursive: true, force: true }) });
    },
  };
}

/** Runs `measure` once per round on every backend, in an order rotated per round; samples by backend. */
async function interleaved<T>(
  context: BenchContext,
  backends: readonly Backend[],
  measure: (store: Store) => Promise<T>,
): Promise<Map<Backend, T[]>> {
  const samples = new Map<Backend, T[]>(backends.map((backend) => [backend, []]));
  for (let round = 0; round < context.rounds; round += 1) {
    for (const backend of roundOrder(backends, round)) {
      const { store, cleanup } = await backend.open();
      try {
        samples.get(backend)?.push(await measure(store));
      } finally {
        await store.close();
        cleanup();
      }
    }
  }
  return samples;
}

export async function runLedgerScenario(
  context: BenchContext,
  redis: RedisChoice | null,
  baseline: string | null = null,
): Promise<ScenarioResult> {
  const count = context.timeScale < 1 ? 600 : 1_500;
  const backends: Backend[] = [sqliteBackend('sqlite', 'sqlite (NORMAL)', openSqliteStore)];
  if (baseline !== null) {
    const base = (await import(pathToFileURL(join(baseline, 'dist', 'ledger', 'index.js')).href)) as {
      openSqliteStore: typeof openSqliteStore;
    };
    backends.push(sqliteBackend('sqlite-base', 'sqlite (NORMAL), base build', base.openSqliteStore));
    context.notes.push(`Ledger: "base build" rows run the SQLite store of ${baseline} in the same process.`);
  }
  if (redis) {
    backends.push({
      id: 'redis',
      name: 'redis',
      open: async () => ({
        store: await openRedisStore({ url: redis.url, keyPrefix: `${unique('bench')}:` }),
        cleanup: () => undefined,
      }),
    });
    if (baseline !== null) {
      const base = (await import(pathToFileURL(join(baseline, 'dist', 'ledger', 'redis', 'index.js')).href)) as {
        openRedisStore: typeof openRedisStore;
      };
      backends.push({
        id: 'redis-base',
        name: 'redis, base build',
        open: async () => ({
          store: await base.openRedisStore({ url: redis.url, keyPrefix: `${unique('bench-base')}:` }),
          cleanup: () => undefined,
        }),
      });
      context.notes.push(`Ledger: "redis, base build" rows run the Redis store of ${baseline} on the same Redis.`);
    }
  } else {
    context.notes.push('Ledger: Redis skipped (--no-redis, or no Redis available).');
  }
  const rows: string[][] = [];
  const data: Record<string, Measure[]> = {};
  const figures: Record<string, number> = {};
  const pairRows = new Map<Backend, string[][]>(backends.map((backend) => [backend, []]));
  const record = (backend: Backend, key: string, samples: Measure[], figure: string | null): void => {
    data[key] = samples;
    const pick = (field: keyof Measure): number => median(samples.map((sample) => sample[field]));
    if (figure !== null) {
      figures[`${figure}.pairsPerS`] = pick('pairsPerS');
      figures[`${figure}.p99Us`] = pick('p99Us');
    }
    pairRows
      .get(backend)
      ?.push([
        key,
        fixed(pick('pairsPerS'), 0),
        fixed(pick('p50Us'), 0),
        fixed(pick('p99Us'), 0),
        fixed(pick('cpuUs'), 0),
      ]);
    context.log(`  ${key}: ${fixed(pick('pairsPerS'), 0)} pairs/s`);
  };
  for (const scopeCount of [1, 3]) {
    for (const inFlight of [1, 32]) {
      const measured = await interleaved(context, backends, async (store) => {
        await pairs(store, scopeCount, Math.min(200, count), inFlight, unique('warm'));
        return pairs(store, scopeCount, count, inFlight, unique('pair'));
      });
      for (const [backend, samples] of measured) {
        const key = `${backend.name}, ${scopeCount} scope${scopeCount > 1 ? 's' : ''}, ${inFlight} in flight`;
        record(backend, key, samples, `ledger.${backend.id}.${scopeCount}.${inFlight}`);
      }
    }
  }
  const braked = await interleaved(context, backends, async (store) => {
    await pairs(store, 1, Math.min(200, count), 1, unique('warm'), true);
    return pairs(store, 1, count, 1, unique('brakes'), true);
  });
  for (const [backend, samples] of braked)
    record(backend, `${backend.name}, 1 scope + both brakes, 1 in flight`, samples, null);
  for (const backend of backends) rows.push(...(pairRows.get(backend) ?? []));
  const sequenceRows: string[][] = [];
  const sequences: Record<string, { cpuUs: number; wallUs: number }[]> = {};
  const measuredSequences = await interleaved(context, backends, (store) =>
    callSequences(store, Math.round(count / 2), unique('seq')),
  );
  for (const [backend, samples] of measuredSequences) {
    sequences[backend.name] = samples;
    sequenceRows.push([
      backend.name,
      fixed(median(samples.map((sample) => sample.wallUs)), 0),
      fixed(median(samples.map((sample) => sample.cpuUs)), 0),
    ]);
    context.log(
      `  ${backend.name}: one call's store sequence ${fixed(median(samples.map((sample) => sample.wallUs)), 0)} µs wall`,
    );
  }
  const sqliteSolo = data['sqlite (NORMAL), 3 scopes, 1 in flight'];
  const redisSolo = data['redis, 3 scopes, 1 in flight'];
  const table: Table = {
    title: `Ledger alone: reserve+commit pairs (${count} per measure) — medians of ${context.rounds} rounds`,
    header: ['backend, scopes, concurrency', 'pairs/s', 'p50 µs/pair', 'p99 µs/pair', 'CPU µs/pair'],
    rows,
    notes: [
      'CPU µs/pair: user+system CPU of this process (all threads) over the measure, per pair; Redis rows exclude redis-server.',
      ...(redisSolo && sqliteSolo
        ? [
            `Redis/SQLite pairs/s, 3 scopes, 1 in flight: ${fixed(ratio(median(redisSolo.map((s) => s.pairsPerS)), median(sqliteSolo.map((s) => s.pairsPerS))), 2)}.`,
          ]
        : []),
    ],
  };
  const sequence: Table = {
    title: `Ledger: the store operations of one proxied call as the pipeline issues them (open run — only on the run's first call where the ledger checks runs in the reserve —, reserve, put decision, commit, patch decision), one call at a time — medians of ${context.rounds} rounds`,
    header: ['backend', 'wall µs/call', 'CPU µs/call (this process)'],
    rows: sequenceRows,
    notes: [
      'Redis CPU excludes the redis-server process; its wall time is mostly round trips (4 writes per call, 2 of them waited for by the call: docs/ledger-redis.md).',
    ],
  };
  return { tables: [table, sequence], figures, data: { pairs: data, callSequence: sequences } };
}
