// Runs the built CLI (`node dist/cli/main.js serve --config <file>`) as a child process for
// tests of process-level behaviour (SIGTERM drain, kill -9 recovery). Reads its pino JSON
// lines from stdout; finds the URL in the "runcap listening" line. Test support only.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../', import.meta.url);
const CLI = fileURLToPath(new URL('dist/cli/main.js', ROOT));

export interface LogLine {
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnedRuncap {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Parsed JSON log lines so far (stdout). */
  readonly logs: LogLine[];
  /** Everything written to stderr. */
  stderr(): string;
  readonly exited: Promise<ChildExit>;
  /** Resolves with the first log line (past or future) that `accept` takes. */
  waitForLog(accept: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

/**
 * Fails clearly when dist/ is missing or older than a source module the CLI is built
 * from (the child would run stale code): follows relative imports from src/cli/main.ts.
 */
export function assertCliBuilt(): void {
  if (!existsSync(CLI))
    throw new Error('dist/cli/main.js is missing: process tests run the compiled CLI; run `npm run build` first');
  const pending = [new URL('src/cli/main.ts', ROOT)];
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
    for (const match of readFileSync(source, 'utf8').matchAll(/(?:from |import\()'(\.{1,2}\/[^']+)\.js'/g)) {
      const target = new URL(`${match[1] ?? ''}.ts`, source);
      if (existsSync(target)) pending.push(target);
    }
  }
}

/** Writes `config` to <dir>/runcap.json and starts `runcap serve` on it (port 0 unless given). */
export async function spawnRuncap(options: {
  dir: string;
  config: Record<string, unknown>;
  env?: Record<string, string>;
  name?: string;
}): Promise<SpawnedRuncap> {
  assertCliBuilt();
  const configPath = join(options.dir, `${options.name ?? 'runcap'}.json`);
  writeFileSync(
    configPath,
    JSON.stringify({
      log_level: 'info',
      ...options.config,
      server: { port: 0, ...(options.config.server as object | undefined) },
    }),
  );
  // The child sees no RUNCAP_* variables of ours: only its config file decides.
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !name.startsWith('RUNCAP_')) env[name] = value;
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configPath], {
    cwd: options.dir,
    env: { ...env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<{ accept: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let pending = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const text of parts) {
      if (text.trim() === '') continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.accept(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const waitForLog = (accept: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> => {
    const seen = logs.find(accept);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = { accept, resolve };
      waiters.add(waiter);
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(
            `no matching log line within ${timeoutMs} ms; stderr: ${stderr}; logs: ${logs.map((l) => l.msg).join(' | ')}`,
          ),
        );
      }, timeoutMs);
      void exited.then((exit) => {
        if (!waiters.has(waiter)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`runcap exited (${JSON.stringify(exit)}) before the log line; stderr: ${stderr}`));
      });
      const original = waiter.resolve;
      waiter.resolve = (line) => {
        clearTimeout(timer);
        original(line);
      };
    });
  };

  let listening: LogLine;
  try {
    listening = await waitForLog((line) => line.msg === 'runcap listening');
  } catch (error) {
    // Never leave a half-started server behind a failed test.
    child.kill('SIGKILL');
    throw error;
  }
  return { url: String(listening.url), child, logs, stderr: () => stderr, exited, waitForLog };
}
