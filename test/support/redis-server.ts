// Private redis-server processes for tests: one standalone server on a free loopback
// port, or a 3-master Redis Cluster; each in its own temp folder, torn down by stop().
// Test support only; needs `redis-server` and `redis-cli` on PATH.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function hasRedisServer(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 && spawnSync('redis-cli', ['--version']).status === 0;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
  throw new Error('no free loopback port found');
}

/** Sends one inline command and returns the raw reply, or null when nothing answers. */
export function rawCommand(port: number, command: string, timeoutMs = 500): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const finish = (value: string | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => finish(reply === '' ? null : reply), timeoutMs);
    socket.on('error', () => finish(null));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.endsWith('\r\n')) finish(reply);
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL: an abrupt outage, nothing flushed) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  readonly port?: number;
  readonly cluster?: boolean;
  readonly dir?: string;
  /** More redis-server arguments, e.g. ['--enable-debug-command', 'yes']. */
  readonly extraArgs?: readonly string[];
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'runcap-redis-'));
  const ownsDir = options.dir === undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (options.cluster === true)
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`));
  args.push(...(options.extraArgs ?? []));
  let child: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    const spawned = spawn('redis-server', args, { stdio: 'ignore' });
    child = spawned;
    await waitFor(
      async () => (await rawCommand(port, 'PING'))?.startsWith('+PONG') === true,
      `redis-server on port ${port}`,
    );
  };
  const kill = async (): Promise<void> => {
    const current = child;
    child = null;
    if (current === null || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: start,
    stop: async () => {
      await kill();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisCluster {
  /** Comma-separated node URLs, as openRedisStore takes them. */
  readonly url: string;
  readonly nodes: readonly RedisProcess[];
  stop(): Promise<void>;
}

/** Three masters, no replicas: slots split over them by `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'runcap-redis-cluster-'));
  const nodes: RedisProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < 3; index += 1) nodes.push(await startRedisServer({ cluster: true, dir }));
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 20_000,
    });
    await waitFor(async () => {
      const states = await Promise.all(
        nodes.map((node) => run('redis-cli', ['-p', String(node.port), 'cluster', 'info'])),
      );
      return states.every((info) => info.stdout.includes('cluster_state:ok'));
    }, 'cluster_state:ok on every node');
    return { url: nodes.map((node) => node.url).join(','), nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
