// Multi-process race harness: spawns plain-Node workers (ledger-race-worker.mjs) that
// open the same store from the compiled dist/ and run one job together after a shared
// start signal. Backend-agnostic: the connection says which opener the worker calls.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunBrakes, ScopeSpec } from '../../src/ledger/index.js';

export type RaceJob =
  | {
      readonly op: 'reserve';
      readonly tenant: string;
      readonly scopes: readonly ScopeSpec[];
      readonly amountMicros: number;
      /** Reserves per worker, all issued at once after the start signal. */
      readonly perWorker: number;
      readonly ttlMs: number;
      readonly idPrefix: string;
      /** Brakes every reserve carries (the velocity race). */
      readonly brakes?: RunBrakes;
    }
  | { readonly op: 'expire'; readonly nowMs: number };

export interface RaceWorkerResult {
  readonly admitted: number;
  readonly blocked: number;
  readonly expired: number;
  readonly errors: readonly string[];
}

/** Runs `job` in `workers` processes at once against the harness's store. */
export type RaceSpawner = (workers: number, job: RaceJob) => Promise<readonly RaceWorkerResult[]>;

/** How a worker opens the store: `backend` picks the opener (dist/ledger/index.js, or dist/ledger/redis/index.js). */
export interface RaceConnection {
  readonly backend: 'sqlite' | 'redis';
  readonly options: Readonly<Record<string, unknown>>;
}

const ROOT = new URL('../../', import.meta.url);
const WORKER = fileURLToPath(new URL('./ledger-race-worker.mjs', import.meta.url));
const WORKER_TIMEOUT_MS = 60_000;

/**
 * Fails clearly when dist/ledger/index.js is missing or older than any source module it
 * is built from (the workers would run stale code). Follows relative imports from
 * src/ledger/index.ts and src/ledger/redis/index.ts, so unrelated work in progress elsewhere does not trip it.
 */
export function assertLedgerBuilt(): void {
  if (!existsSync(new URL('dist/ledger/index.js', ROOT))) {
    throw new Error(
      'dist/ledger/index.js is missing: the multi-process race test runs compiled code; run `npm run build` first',
    );
  }
  const pending = [new URL('src/ledger/index.ts', ROOT), new URL('src/ledger/redis/index.ts', ROOT)];
  const seen = new Set<string>();
  for (let source = pending.pop(); source !== undefined; source = pending.pop()) {
    if (seen.has(source.href)) continue;
    seen.add(source.href);
    const relative = source.href.slice(new URL('src/', ROOT).href.length);
    const built = new URL(`dist/${relative.replace(/\.ts$/, '.js')}`, ROOT);
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) {
      throw new Error(
        `dist/${relative.replace(/\.ts$/, '.js')} is missing or older than src/${relative}: run \`npm run build\` first`,
      );
    }
    for (const match of readFileSync(source, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
      const target = new URL(`${match[1] ?? ''}.ts`, source);
      if (existsSync(target)) pending.push(target);
    }
  }
}

export function spawnRaceWorkers(connection: RaceConnection): RaceSpawner {
  return async (workers, job) => {
    assertLedgerBuilt();
    const children = Array.from({ length: workers }, (_, index) =>
      spawn(process.execPath, [WORKER, JSON.stringify({ ...connection, job, workerIndex: index })], {
        cwd: fileURLToPath(ROOT),
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    const runs = children.map((child) => watch(child));
    try {
      await Promise.all(runs.map((run) => run.ready));
      for (const child of children) child.stdin.write('go\n');
      return await Promise.all(runs.map((run) => run.result));
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
    }
  };
}

interface WatchedWorker {
  readonly ready: Promise<void>;
  readonly result: Promise<RaceWorkerResult>;
}

function watch(child: ChildProcessWithoutNullStreams): WatchedWorker {
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const result = new Promise<RaceWorkerResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`race worker timed out after ${WORKER_TIMEOUT_MS} ms; stderr: ${stderr}`));
    }, WORKER_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('ready\n')) markReady();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`race worker exited with ${String(code)}; stdout: ${stdout}; stderr: ${stderr}`));
        return;
      }
      resolve(parseResult(last));
    });
  });
  // A worker that dies before "ready" must not leave the others waiting forever.
  return { ready: Promise.race([ready, result.then(() => undefined)]), result };
}

function parseResult(line: string): RaceWorkerResult {
  const parsed: unknown = JSON.parse(line);
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`bad worker output: ${line}`);
  const field = (name: string): number => {
    const value: unknown = Reflect.get(parsed, name);
    if (typeof value !== 'number') throw new Error(`worker output lacks ${name}: ${line}`);
    return value;
  };
  const errors: unknown = Reflect.get(parsed, 'errors');
  return {
    admitted: field('admitted'),
    blocked: field('blocked'),
    expired: field('expired'),
    errors: Array.isArray(errors) ? errors.map(String) : [],
  };
}
