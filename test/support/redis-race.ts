// Multi-process race spawner for the Redis ledger: the RaceSpawner of ledger-race.ts, but
// its workers (redis-race-worker.mjs) open dist/ledger/redis-store.js directly, because
// the shared worker looks for openRedisStore in dist/ledger/index.js, which does not
// export it. Drop this file once src/ledger/index.ts re-exports openRedisStore.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertLedgerBuilt, type RaceSpawner, type RaceWorkerResult } from './ledger-race.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./redis-race-worker.mjs', import.meta.url));
const WORKER_TIMEOUT_MS = 60_000;

export interface RedisRaceOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly commandTimeoutMs?: number;
}

export function spawnRedisRaceWorkers(options: RedisRaceOptions): RaceSpawner {
  return async (workers, job) => {
    assertLedgerBuilt();
    const children = Array.from({ length: workers }, (_, workerIndex) =>
      spawn(process.execPath, [WORKER, JSON.stringify({ options, job, workerIndex })], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    const runs = children.map(watch);
    try {
      await Promise.all(runs.map((run) => run.ready));
      for (const child of children) child.stdin.write('go\n');
      return await Promise.all(runs.map((run) => run.result));
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
    }
  };
}

function watch(child: ChildProcessWithoutNullStreams): { ready: Promise<void>; result: Promise<RaceWorkerResult> } {
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const result = new Promise<RaceWorkerResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`redis race worker timed out; stderr: ${stderr}`));
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
        reject(new Error(`redis race worker exited with ${String(code)}; stdout: ${stdout}; stderr: ${stderr}`));
        return;
      }
      const parsed: unknown = JSON.parse(last);
      const number = (name: string): number => {
        const value: unknown = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, name) : undefined;
        if (typeof value !== 'number') throw new Error(`redis race worker output lacks ${name}: ${last}`);
        return value;
      };
      const errors: unknown = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'errors') : [];
      resolve({ admitted: number('admitted'), blocked: number('blocked'), expired: number('expired'), errors: Array.isArray(errors) ? errors.map(String) : [] });
    });
  });
  return { ready: Promise.race([ready, result.then(() => undefined)]), result };
}
