// Peer gateways run side by side with runcap: the Portkey OSS gateway (no budgets), pinned in
// bench/peers/package.json + package-lock.json and installed there on first use with
// `npm ci` (kept out of the root install). A peer that cannot be installed or started is
// skipped with the reason, never a failed benchmark.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, REPO_ROOT, trackChild, waitUntil, type Service } from './processes.js';

const PEERS_DIR = join(REPO_ROOT, 'bench', 'peers');
const PORTKEY_PACKAGE = join(PEERS_DIR, 'node_modules', '@portkey-ai', 'gateway');
const PORTKEY_SERVER = join(PORTKEY_PACKAGE, 'build', 'start-server.js');

export interface PeerService extends Service {
  /** Headers every request to this peer needs (which provider, where it lives). */
  readonly headers: Readonly<Record<string, string>>;
  readonly version: string;
}

export type PeerStart =
  { readonly ok: true; readonly service: PeerService } | { readonly ok: false; readonly reason: string };

/** `npm ci` in bench/peers unless the gateway is already there; the reason when it cannot be. */
function installPeers(log: (message: string) => void): string | null {
  if (existsSync(PORTKEY_SERVER)) return null;
  log('peers: installing bench/peers (npm ci, first use only)');
  // The parent npm's per-script variables would point the child at the root package.
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('npm_') && value !== undefined) env[name] = value;
  // --ignore-scripts: the gateway's postinstall (patch-package) patches nothing its bundled server runs.
  const result = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', PEERS_DIR], {
    cwd: PEERS_DIR,
    env,
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  if (result.error) return `npm ci in bench/peers failed: ${result.error.message}`;
  if (result.status !== 0) {
    const errors = `${result.stderr}`
      .split('\n')
      .filter((line) => line.startsWith('npm error') && !line.includes('A complete log'))
      .slice(0, 3)
      .map((line) => line.slice('npm error'.length).trim());
    return `npm ci in bench/peers failed (exit ${result.status ?? result.signal}): ${errors.join('; ').slice(0, 300)}`;
  }
  return existsSync(PORTKEY_SERVER) ? null : 'npm ci in bench/peers left no @portkey-ai/gateway';
}

/**
 * The Portkey OSS gateway (`build/start-server.js --port=N --headless`, NODE_ENV=production),
 * routed to the fake upstream as an OpenAI provider on a custom host, forwarding the
 * benchmark's `x-bench-*` headers like runcap and the bare proxy do.
 */
export async function startPortkey(upstreamUrl: string, log: (message: string) => void): Promise<PeerStart> {
  const failure = installPeers(log);
  if (failure !== null) return { ok: false, reason: failure };
  let version = 'unknown';
  try {
    version =
      (JSON.parse(readFileSync(join(PORTKEY_PACKAGE, 'package.json'), 'utf8')) as { version?: string }).version ??
      version;
  } catch {
    // the version only labels the row
  }
  const port = await freePort();
  const child = spawn(process.execPath, [PORTKEY_SERVER, `--port=${port}`, '--headless'], {
    cwd: PEERS_DIR,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const stop = trackChild(child);
  const errors: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    errors.push(chunk.toString('utf8'));
    while (errors.length > 20) errors.shift();
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(async () => {
      if (exited) throw new Error(`exited during start-up: ${errors.join('').slice(-300)}`);
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        return true;
      } catch {
        return false;
      }
    }, 'portkey gateway');
  } catch (error) {
    await stop();
    return {
      ok: false,
      reason: `Portkey gateway ${version} did not start: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  return {
    ok: true,
    service: {
      name: 'portkey',
      url,
      pid: child.pid ?? 0,
      version,
      headers: {
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `${upstreamUrl}/v1`,
        'x-portkey-forward-headers': 'x-bench-latency-ms,x-bench-chunks,x-bench-chunk-interval-ms',
      },
      stop,
    },
  };
}
