// The coding-agent CLIs the e2e tests drive (Claude Code, the Codex CLI): pinned in
// test/clients/package.json and its committed lock, kept out of the root package (they weigh
// ~800 MB), and installed with `npm ci` from the npm registry on first use: once, under a lock
// directory, so test files running in parallel do not race. Nothing else is downloaded: both
// packages ship their binaries as npm packages. When they cannot be installed, the tests that
// need them skip with the reason in their name, or fail when RUNCAP_TEST_REQUIRE_CLIENTS=1 (.ci/run).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLIENTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../clients');
const LOCK_DIR = join(CLIENTS_DIR, '.install-lock');
const MARKER = join(CLIENTS_DIR, 'node_modules', '.runcap-installed');
const INSTALL_TIMEOUT_MS = 20 * 60_000;

export type ClientName = 'codex' | 'claude';
const BINARIES: Record<ClientName, string> = {
  codex: join(CLIENTS_DIR, 'node_modules', '.bin', 'codex'),
  claude: join(CLIENTS_DIR, 'node_modules', '.bin', 'claude'),
};

export type Clients =
  | { readonly available: true; readonly bin: Readonly<Record<ClientName, string>> }
  | { readonly available: false; readonly reason: string };

let installing: Promise<Clients> | undefined;

/** The CLIs, installed if they are not yet (one install per machine at a time). */
export function installedClients(): Promise<Clients> {
  installing ??= install().catch((error: unknown) => ({
    available: false as const,
    reason: error instanceof Error ? error.message : String(error),
  }));
  return installing;
}

/**
 * For a test file's top level: the CLIs, or a reason to skip. Under RUNCAP_TEST_REQUIRE_CLIENTS=1
 * a missing CLI throws, so the file fails instead of skipping.
 */
export async function clientsOrSkip(): Promise<Clients> {
  const clients = await installedClients();
  if (!clients.available && process.env.RUNCAP_TEST_REQUIRE_CLIENTS === '1') {
    throw new Error(`the coding-agent CLIs of test/clients could not be installed: ${clients.reason}`);
  }
  if (!clients.available) console.warn(`[runcap tests] skipping the coding-agent CLI tests: ${clients.reason}`);
  return clients;
}

function lockHash(): string {
  return createHash('sha256')
    .update(readFileSync(join(CLIENTS_DIR, 'package-lock.json')))
    .digest('hex');
}

function installed(hash: string): boolean {
  return (
    existsSync(MARKER) &&
    readFileSync(MARKER, 'utf8') === hash &&
    Object.values(BINARIES).every((bin) => existsSync(bin))
  );
}

async function install(): Promise<Clients> {
  const hash = lockHash();
  if (!installed(hash)) {
    await withLock(async () => {
      if (installed(hash)) return; // another test file installed them while this one waited
      await npmCi();
      const missing = Object.values(BINARIES).filter((bin) => !existsSync(bin));
      if (missing.length > 0) throw new Error(`npm ci in test/clients left no ${missing.join(', ')}`);
      writeFileSync(MARKER, hash);
    });
  }
  return { available: true, bin: BINARIES };
}

/** `npm ci` in test/clients, with the parent npm's per-script variables removed. */
function npmCi(): Promise<void> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !name.startsWith('npm_package_') && !name.startsWith('npm_lifecycle_') && name !== 'npm_config_local_prefix',
    ),
  );
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npm', ['ci', '--prefix', CLIENTS_DIR, '--no-audit', '--no-fund'], {
      cwd: CLIENTS_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: INSTALL_TIMEOUT_MS,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise();
      else
        reject(new Error(`npm ci in test/clients failed (${signal ?? `exit ${code}`}): ${output.trim().slice(-1500)}`));
    });
  });
}

/** Runs `work` holding the install lock: a directory (atomic to create) naming its owner's pid. */
async function withLock(work: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (ownerGone()) {
      rmSync(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`waited too long for ${LOCK_DIR} (another install)`);
    await new Promise((wake) => setTimeout(wake, 500));
  }
  try {
    writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
    await work();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/** The lock's owner died without removing it: its pid is gone, or it never wrote one within a minute. */
function ownerGone(): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(LOCK_DIR, 'pid'), 'utf8'), 10);
  } catch {
    try {
      return Date.now() - statSync(LOCK_DIR).mtimeMs > 60_000;
    } catch {
      return false; // the lock went away meanwhile: try again
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a CLI to its end with no stdin, only the given environment, and a kill timeout. */
export function runCli(
  bin: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env: Readonly<Record<string, string>>; readonly timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}
