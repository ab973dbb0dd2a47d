// Starts a real runcap server in-process on port 0 with a temp SQLite ledger, from a
// config object written to a temp file, exactly as `runcap serve --config` would load it.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import type { Store } from '../../src/ledger/index.js';
import { startServer, type RunningServer } from '../../src/server.js';

export interface TestRuncap {
  readonly url: string;
  /** `${url}/v1`: what OPENAI_BASE_URL would be. */
  readonly baseURL: string;
  readonly server: RunningServer;
  readonly store: Store;
  readonly dir: string;
  stop(): Promise<void>;
}

export interface StartRuncapOptions {
  readonly upstreamUrl: string;
  /** Config file contents (docs/design.md §10 shape); `upstreams` and `ledger` get test defaults. */
  readonly config?: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly store?: Store;
  readonly clock?: () => number;
  /** Default: silent (or RUNCAP_TEST_LOG's level). Tests that read the logs pass their own. */
  readonly logger?: Logger;
}

export async function startRuncap(options: StartRuncapOptions): Promise<TestRuncap> {
  const dir = mkdtempSync(join(tmpdir(), 'runcap-test-'));
  const configPath = join(dir, 'runcap.json');
  const config = {
    ledger: { sqlite: join(dir, 'runcap.sqlite'), sweep_interval: '1h' },
    ...options.config,
    upstreams: {
      openai: { base_url: `${options.upstreamUrl}/v1`, api_key_env: 'RUNCAP_TEST_PROVIDER_KEY' },
      // Anthropic's base URL has no /v1 (its SDKs append it), as ANTHROPIC_BASE_URL.
      anthropic: { base_url: options.upstreamUrl, api_key_env: 'RUNCAP_TEST_ANTHROPIC_KEY' },
      ...(options.config?.upstreams as object | undefined),
    },
    server: { port: 0, ...(options.config?.server as object | undefined) },
  };
  writeFileSync(configPath, JSON.stringify(config));
  const loaded = loadConfig({
    argv: ['--config', configPath],
    env: {
      RUNCAP_TEST_PROVIDER_KEY: 'sk-provider-secret',
      RUNCAP_TEST_ANTHROPIC_KEY: 'sk-ant-provider-secret',
      ...options.env,
    },
    cwd: dir,
  });
  const server = await startServer(loaded, {
    logger: options.logger ?? pino({ level: process.env.RUNCAP_TEST_LOG ?? 'silent' }),
    ...(options.store ? { store: options.store } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    url: server.url,
    baseURL: `${server.url}/v1`,
    server,
    store: server.deps.store,
    dir,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
