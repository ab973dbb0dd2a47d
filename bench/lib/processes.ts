// Starts and stops the benchmark's processes: the fake upstream, the bare proxy, runcap
// (`node dist/cli/main.js serve --config ...`, SQLite or Redis ledger), a private
// redis-server, and the load worker. Every child is tracked and stopped by its pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist-bench/bench/lib/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Compiled benchmark services (dist-bench/bench/services/). */
export const SERVICES_DIR = fileURLToPath(new URL('../services/', import.meta.url));

export interface Service {
  readonly name: string;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

function tail(buffer: string[], chunk: Buffer): void {
  buffer.push(chunk.toString('utf8'));
  while (buffer.length > 40) buffer.shift();
}

function stopChild(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Tracks a child started elsewhere (stopped by stopAll); returns its stop function. */
export function trackChild(child: ChildProcess): () => Promise<void> {
  running.add(child);
  return () => stopChild(child);
}

/** Stops every child still running (on exit or error). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map(stopChild));
}

/** Spawns a compiled service that prints {"ready":true,"port":N} and resolves once it has. */
export function startReadyLineService(
  name: string,
  script: string,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): Promise<Service> {
  const child = spawn(process.execPath, [...nodeFlags, join(SERVICES_DIR, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const errors: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => tail(errors, chunk));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const newline = out.indexOf('\n');
      if (newline === -1) return;
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      const line = JSON.parse(out.slice(0, newline)) as { ready?: boolean; port?: number };
      if (line.ready !== true || typeof line.port !== 'number') {
        reject(new Error(`${name}: unexpected first line ${out.slice(0, newline)}`));
        return;
      }
      const pid = child.pid ?? 0;
      resolve({ name, url: `http://127.0.0.1:${line.port}`, pid, stop: () => stopChild(child) });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${errors.join('')}`)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export type LedgerChoice = { readonly kind: 'sqlite' } | { readonly kind: 'redis'; readonly url: string };

export interface RuncapOptions {
  readonly name: string;
  readonly upstreamUrl: string;
  readonly ledger: LedgerChoice;
  readonly logLevel: string;
  /** Extra environment for the runcap process. */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
  /** Another checkout whose dist/ to run (A/B against a baseline build); default this repository. */
  readonly root?: string;
}

/**
 * runcap as a user runs it: `node dist/cli/main.js serve --config <file>`, passthrough
 * mode, run ceilings high enough that the benchmark never hits them, stdout discarded.
 */
export async function startRuncap(options: RuncapOptions): Promise<Service> {
  const dir = mkdtempSync(join(tmpdir(), 'runcap-bench-'));
  const port = await freePort();
  const config = {
    server: { host: '127.0.0.1', port },
    upstreams: { openai: { base_url: `${options.upstreamUrl}/v1` } },
    ledger: options.ledger.kind === 'sqlite' ? { sqlite: join(dir, 'runcap.sqlite') } : { redis: options.ledger.url },
    log_level: options.logLevel,
    tenants: {
      default: {
        run: { default_limit_usd: '1000000.00', max_limit_usd: '1000000.00', max_active_per_key: 1_000_000 },
      },
    },
  };
  const configPath = join(dir, 'runcap.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      join(options.root ?? REPO_ROOT, 'dist/cli/main.js'),
      'serve',
      '--config',
      configPath,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: dir,
      env: { ...process.env, ...options.env },
    },
  );
  running.add(child);
  const errors: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => tail(errors, chunk));
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(async () => {
    if (exited) throw new Error(`${options.name} exited during start-up: ${errors.join('')}`);
    try {
      const response = await fetch(`${url}/readyz`);
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    }
  }, `${options.name} /readyz`);
  return {
    name: options.name,
    url,
    pid: child.pid ?? 0,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function pingRedis(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => finish(false), 500);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => finish(chunk.toString('utf8').startsWith('+PONG')));
  });
}

export interface RedisChoice {
  readonly url: string;
  readonly note: string;
  stop(): Promise<void>;
}

/**
 * A Redis for the Redis-ledger variants: BENCH_REDIS_URL when set; else a private
 * redis-server (no persistence) when the binary is on PATH, so the benchmark never
 * writes into a shared Redis; else null (the Redis variants are skipped with a note).
 */
export async function startRedis(env: NodeJS.ProcessEnv): Promise<RedisChoice | null> {
  const given = env['BENCH_REDIS_URL'];
  if (given) return { url: given, note: `Redis at BENCH_REDIS_URL`, stop: async () => undefined };
  if (spawnSync('redis-server', ['--version']).status !== 0) return null;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'runcap-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  running.add(child);
  await waitUntil(() => pingRedis(port), 'private redis-server', 10_000);
  const version =
    spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
      .stdout.trim()
      .split(' ')
      .find((part) => part.startsWith('v=')) ?? '';
  return {
    url: `redis://127.0.0.1:${port}`,
    note: `private redis-server ${version.slice(2)} on loopback (no persistence)`,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ProcessSample {
  /** User + system CPU time of the whole process (all threads), ms. */
  readonly cpuMs: number;
  readonly rssBytes: number;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time and RSS of a process from /proc (Linux); NaN elsewhere. */
export function sampleProcess(pid: number): ProcessSample {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is index 0, so utime (14th field) is index 11, stime index 12.
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return { cpuMs, rssBytes: rssKb * 1024 };
  } catch {
    return { cpuMs: Number.NaN, rssBytes: Number.NaN };
  }
}
