// Wires a Config into running parts: store, price catalog, tokenizer, upstream
// client, metrics, logger, background sweeper; serves the app; drains on stop.
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino, type Logger } from 'pino';
import { createApp, type AppState } from './app.js';
import type { Config } from './config/types.js';
import { createTokenizer } from './estimate/tokenizer.js';
import { createTokenCountPool } from './estimate/worker-pool.js';
import type { Store } from './ledger/index.js';
import { openStore } from './ledger/index.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import type { PipelineDeps } from './pipeline/deps.js';
import { startSweeper } from './pipeline/sweeper.js';
import { startAlertDeliverer } from './pipeline/alert-deliverer.js';
import { createBackgroundTracker } from './pipeline/background.js';
import { createEventHub } from './pipeline/events.js';
import { createKeyVerdicts } from './pipeline/key-verdicts.js';
import { createKnownRuns } from './pipeline/known-runs.js';
import { createTaskTracker } from './pipeline/tasks.js';
import { loadPriceCatalog } from './pricing/load.js';
import { ConfigError } from './config/load.js';
import { checkTenantsAgainstPrices } from './policy/check-tenants.js';
import { responsesAdapter } from './proxy/adapters/responses.js';
import { createUpstreamClient } from './proxy/upstream.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly deps: PipelineDeps;
  /** Stop accepting, finish in-flight calls (up to the drain timeout), settle, close the ledger. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly store?: Store;
  readonly clock?: () => number;
  /**
   * One full garbage collection after start-up, before listening (`runcap serve` sets it): loading
   * the encoders leaves tens of MB of garbage that V8 would collect at some later moment, so the
   * idle RSS of a fresh process was 137-160 MiB depending on when it was read, 134-138 after.
   */
  readonly collectStartupGarbage?: boolean;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const catalog = loadPriceCatalog(config.pricesPath);
  const problems = checkTenantsAgainstPrices(config, catalog);
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  const clock = options.clock ?? Date.now;
  const store =
    options.store ??
    (await openStore(config, {
      clock,
      alertThresholds: (tenant) => config.tenants.get(tenant)?.alerts?.thresholdsBp ?? [],
      onBackgroundError: (error) => logger.error({ err: error }, 'background ledger write failed'),
    }));
  const metrics = options.metrics ?? createMetrics();
  const tasks = createTaskTracker((error) => logger.error({ err: error }, 'background task failed'));
  // A request's never-seen texts, when large together, are counted on worker threads, off the
  // event loop (null when running from sources): measured, this still pays with gpt-tokenizer
  // (docs/benchmarks.md, "Tokenizer").
  const countPool = createTokenCountPool();
  const tokenizer = createTokenizer(countPool ? { offload: countPool.count } : {});
  // Load the encoders now on the event loop, not on the first call (~0.2-0.3 s each). The pool's
  // worker threads start, and load their encoders, on their first count (a large never-seen text,
  // off the event loop): warming them here held ~60 MB more at idle, starting them ~10 MB
  // (docs/benchmarks.md "Memory").
  const encodings = new Set([...catalog.latest.models.values()].map((m) => m.encoding));
  for (const encoding of encodings) tokenizer.count('warm up', encoding);
  const upstream = createUpstreamClient();
  const background = createBackgroundTracker({
    config,
    ledger: store.ledger,
    upstream,
    usageFromJson: responsesAdapter.usageFromJson,
    hostedCallsFromJson: (body) => responsesAdapter.hostedCallsFromJson?.(body) ?? {},
    metrics,
    logger,
    tasks,
  });
  const deps: PipelineDeps = {
    config,
    store,
    catalog,
    tokenizer,
    upstream,
    metrics,
    logger,
    tasks,
    background,
    keyVerdicts: createKeyVerdicts(upstream),
    knownRuns: createKnownRuns(),
    events: createEventHub({
      ringSize: config.events.replay,
      subscriberBuffer: config.events.subscriberBuffer,
      onDropped: () => metrics.eventsDropped.inc(),
      onSubscribers: (count) => metrics.eventSubscribers.set(count),
    }),
    clock,
  };
  const state: AppState = { draining: false };
  const app = createApp(deps, state);
  const sweeper = startSweeper(deps);
  const alertDeliverer = startAlertDeliverer(deps);

  if (options.collectStartupGarbage === true) collectGarbage();
  const server = await listen(app.fetch, config.server);
  const port = (server.address() as AddressInfo).port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  logger.info(
    { url: `http://${host}:${port}`, ledger: store.ledger.backend, prices: catalog.latest.version },
    'runcap listening',
  );
  // Whoever started runcap may be waiting for that line: it goes out now, not with the next batch.
  logger.flush();

  let stopping: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    deps,
    stop: () =>
      (stopping ??= (async () => {
        state.draining = true;
        // Live feeds end now: an open event stream must not hold the drain open.
        deps.events.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // close() drops only the connections idle right now; keep dropping those that go idle
        // as their last response ends, so a client's keep-alive pool cannot hold the drain open.
        const reaper = setInterval(
          () => (server as { closeIdleConnections?: () => void }).closeIdleConnections?.(),
          100,
        );
        const drained = await Promise.race([
          closed.then(() => true),
          delay(config.server.drainTimeoutMs).then(() => false),
        ]);
        clearInterval(reaper);
        if (!drained) {
          logger.warn(
            { drain_timeout_ms: config.server.drainTimeoutMs },
            'drain timeout: closing remaining connections',
          );
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        }
        // Background responses still running are polled once more and settled (full hold if not done).
        background.stop();
        await tasks.drain(config.server.drainTimeoutMs);
        await sweeper.stop();
        await alertDeliverer.stop();
        await deps.upstream.close();
        await countPool?.close();
        await store.close();
        logger.info('runcap stopped');
      })()),
  };
}

/**
 * A full collection now. Node has no API for it without `--expose-gc`: the flag is set and `gc` taken
 * from a new context (the main context gets no global `gc`). Where that is not possible, nothing
 * happens and V8 collects the garbage later. ~50-150 ms, once, before listening.
 */
function collectGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc === 'function') gc();
  } catch {
    // not available here: V8 collects it later
  }
}

/**
 * pino JSON lines on stdout, written in batches: when 4 KB are waiting or every 100 ms, whichever
 * comes first, and synchronously at exit (pino flushes on `exit`). pino's default destination made
 * one write(2) per line, a request to the thread pool on every call (~10 µs of CPU per call in
 * bench:profile, SonicBoom -> fs.write).
 */
function createLogger(level: string): Logger {
  return pino(
    { level, base: { service: 'runcap' } },
    pino.destination({ dest: process.stdout.fd ?? 1, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS }),
  );
}

const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_MS = 100;

/**
 * The Node server with bounded client behaviour (docs/security.md "Limits"): a request
 * must arrive within `request_timeout` (headers within `headers_timeout`), idle keep-alive
 * connections close after `keep_alive_timeout`, and at most `max_connections` are open.
 * A response may take as long as the upstream does: no socket idle timeout.
 */
function listen(
  fetch: Parameters<typeof serve>[0]['fetch'],
  options: Config['server'],
): Promise<ServerType & { address(): AddressInfo | string | null }> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch,
        hostname: options.host,
        port: options.port,
        serverOptions: {
          requestTimeout: options.requestTimeoutMs,
          headersTimeout: Math.min(options.headersTimeoutMs, options.requestTimeoutMs),
          keepAliveTimeout: options.keepAliveTimeoutMs,
          // Checks request and header deadlines at least this often (Node's default is 30 s).
          connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(options.headersTimeoutMs / 2))),
        },
      },
      () => resolve(server as ServerType & { address(): AddressInfo }),
    );
    (server as { maxConnections?: number }).maxConnections = options.maxConnections;
    server.once('error', reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
