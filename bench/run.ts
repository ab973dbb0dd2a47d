// `npm run bench [-- <scenario...>] [--rounds N] [--quick] [--no-redis] [--log-level L]`:
// starts the fake upstream, the bare proxy and runcap (SQLite, and Redis when a Redis is
// available) as separate processes, drives them from a separate load process, runs each
// scenario with the targets interleaved round by round, and prints medians and ratios.
// Writes the tables and raw figures to .bench-out/. Never part of `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { linkAssets, requireBuiltRuncap } from './lib/assets.js';
import { startLoadWorker } from './lib/load-client.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { startPortkey } from './lib/peers.js';
import { REPO_ROOT, startReadyLineService, startRedis, startRuncap, stopAll } from './lib/processes.js';
import { markdownTable, renderTable, type Table } from './lib/stats.js';
import { runAgentLoopScenario } from './scenarios/agent-loop.js';
import type { BenchContext, Environment, ScenarioResult, Target } from './scenarios/context.js';
import { runLedgerScenario } from './scenarios/ledger.js';
import { runMemoryScenario } from './scenarios/memory.js';
import { runSmallChat } from './scenarios/small-chat.js';
import { runStall } from './scenarios/stall.js';
import { runStreaming } from './scenarios/streaming.js';
import { evaluateTargets, targetsTable } from './targets.js';

interface Scenario {
  readonly description: string;
  /** Uses the HTTP targets (direct, bare, runcap...). */
  readonly http: boolean;
  run(context: BenchContext, environment: Environment): Promise<ScenarioResult>;
}

const SCENARIOS: Readonly<Record<string, Scenario>> = {
  small: {
    description: 'small non-streaming chat: req/s, p50/p99, added latency',
    http: true,
    run: (context) => runSmallChat(context),
  },
  stream: {
    description: 'streaming chat, 200 chunks: TTFB and total time added',
    http: true,
    run: (context) => runStreaming(context),
  },
  agent: {
    description: 'agent loop 20 runs x 30 steps to ~50K tokens: added latency per step, estimator share',
    http: true,
    run: (context) => runAgentLoopScenario(context),
  },
  stall: {
    description: 'p99 TTFB of small streams while never-seen 50K-token calls arrive',
    http: true,
    run: (context) => runStall(context),
  },
  ledger: {
    description: 'ledger alone: reserve+commit pairs/s, SQLite and Redis',
    http: false,
    run: (context, environment) => runLedgerScenario(context, environment.redis, environment.baseline),
  },
  memory: {
    description: 'runcap RSS before and after 60 s of mixed load',
    http: false,
    run: (context, environment) => runMemoryScenario(context, environment),
  },
};

interface Options {
  scenarios: string[];
  rounds: number;
  quick: boolean;
  redis: boolean;
  /** Run the peer gateways (Portkey). */
  peers: boolean;
  logLevel: string;
  /** A checkout (built) to run as the extra target runcap-base, for A/B of a change. */
  baseline: string | null;
  only: string[] | null;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    scenarios: [],
    rounds: 3,
    quick: false,
    redis: true,
    peers: true,
    logLevel: 'info',
    baseline: null,
    only: null,
  };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (arg === '--quick') options.quick = true;
    else if (arg === '--no-redis') options.redis = false;
    else if (arg === '--no-peers') options.peers = false;
    else if (arg === '--rounds') options.rounds = Math.max(1, Number.parseInt(argv[++index] ?? '', 10) || 1);
    else if (arg === '--log-level') options.logLevel = argv[++index] ?? 'info';
    else if (arg === '--baseline') options.baseline = argv[++index] ?? null;
    else if (arg === '--only') options.only = (argv[++index] ?? '').split(',');
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        `usage: npm run bench -- [${Object.keys(SCENARIOS).join('|')} ...] [--rounds N] [--quick] [--no-redis] [--no-peers] [--log-level info]\n`,
      );
      process.stdout.write(
        '       [--baseline <built checkout>] (adds target runcap-base; runcap-base-redis when --only names it) [--only direct,bare,runcap,runcap-redis,runcap-base,runcap-base-redis,portkey]\n',
      );
      for (const [name, scenario] of Object.entries(SCENARIOS))
        process.stdout.write(`  ${name.padEnd(8)} ${scenario.description}\n`);
      process.exit(0);
    } else if (arg in SCENARIOS) options.scenarios.push(arg);
    else throw new Error(`unknown scenario or flag "${arg}" (try --help)`);
  }
  if (options.scenarios.length === 0) options.scenarios = Object.keys(SCENARIOS);
  if (options.quick) options.rounds = Math.min(options.rounds, 1);
  return options;
}

/** A target table (first column "target") with one row per skipped target, saying why. */
function withSkippedRows(table: Table, skipped: readonly { name: string; reason: string }[]): Table {
  if (table.header[0] !== 'target' || skipped.length === 0) return table;
  const filler = table.header.slice(2).map(() => '-');
  return { ...table, rows: [...table.rows, ...skipped.map((s) => [s.name, `skipped: ${s.reason}`, ...filler])] };
}

/** Everything started, stopped in reverse order at the end (temp folders removed). */
const started: { stop(): Promise<void> }[] = [];

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  linkAssets();
  requireBuiltRuncap();
  const machine = describeMachine();
  const startedMs = Date.now();
  const log = (message: string): void => {
    process.stderr.write(`[${((Date.now() - startedMs) / 1000).toFixed(0).padStart(3)}s] ${message}\n`);
  };
  log(`machine: ${machineLine(machine)}`);
  const notes: string[] = [];
  const tables: Table[] = [];
  const figures: Record<string, number> = {};
  const data: Record<string, unknown> = { machine, options, startedAt: new Date(startedMs).toISOString() };

  const upstream = await startReadyLineService('fake-upstream', 'fake-upstream.js', []);
  started.push(upstream);
  const redis = options.redis ? await startRedis(process.env) : null;
  if (redis) started.push(redis);
  if (options.redis && redis === null)
    notes.push('Redis variants skipped: no BENCH_REDIS_URL and no redis-server on PATH.');
  if (redis) notes.push(`Redis: ${redis.note}.`);
  const load = startLoadWorker();
  started.push(load);
  const environment: Environment = { upstream, redis, logLevel: options.logLevel, load, baseline: options.baseline };

  /** Targets that could not run: shown as a row saying why in every target table. */
  const skipped: { name: string; reason: string }[] = [];
  const needsHttp = options.scenarios.some((name) => SCENARIOS[name]?.http === true);
  const targets: Target[] = [];
  if (needsHttp) {
    const bare = await startReadyLineService('bare-proxy', 'bare-proxy.js', [upstream.url]);
    started.push(bare);
    const runcap = await startRuncap({
      name: 'runcap',
      upstreamUrl: upstream.url,
      ledger: { kind: 'sqlite' },
      logLevel: options.logLevel,
    });
    started.push(runcap);
    targets.push(
      { name: 'direct', url: upstream.url, pid: null },
      { name: 'bare', url: bare.url, pid: bare.pid },
      { name: 'runcap', url: runcap.url, pid: runcap.pid },
    );
    if (options.baseline) {
      const base = await startRuncap({
        name: 'runcap-base',
        upstreamUrl: upstream.url,
        ledger: { kind: 'sqlite' },
        logLevel: options.logLevel,
        root: options.baseline,
      });
      started.push(base);
      targets.push({ name: 'runcap-base', url: base.url, pid: base.pid });
      notes.push(`runcap-base: the build in ${options.baseline}.`);
      if (redis && options.only?.includes('runcap-base-redis') === true) {
        // The same Redis, another database: the two builds never share a run or a key.
        const baseRedis = await startRuncap({
          name: 'runcap-base-redis',
          upstreamUrl: upstream.url,
          ledger: { kind: 'redis', url: `${redis.url.replace(/\/\d+$/, '')}/1` },
          logLevel: options.logLevel,
          root: options.baseline,
        });
        started.push(baseRedis);
        targets.push({ name: 'runcap-base-redis', url: baseRedis.url, pid: baseRedis.pid });
        notes.push(`runcap-base-redis: the build in ${options.baseline} on the same Redis (database 1).`);
      }
    }
    if (redis && (options.only === null || options.only.includes('runcap-redis'))) {
      const runcapRedis = await startRuncap({
        name: 'runcap-redis',
        upstreamUrl: upstream.url,
        ledger: { kind: 'redis', url: redis.url },
        logLevel: options.logLevel,
      });
      started.push(runcapRedis);
      targets.push({ name: 'runcap-redis', url: runcapRedis.url, pid: runcapRedis.pid });
    }
    if (options.peers && (options.only === null || options.only.includes('portkey'))) {
      const portkey = await startPortkey(upstream.url, log);
      if (portkey.ok) {
        started.push(portkey.service);
        targets.push({
          name: 'portkey',
          url: portkey.service.url,
          pid: portkey.service.pid,
          headers: portkey.service.headers,
        });
        notes.push(
          `portkey: the Portkey OSS gateway ${portkey.service.version} (npm, bench/peers), no budgets, routed to the fake upstream as a custom host.`,
        );
      } else {
        skipped.push({ name: 'portkey', reason: portkey.reason });
        notes.push(`portkey: skipped — ${portkey.reason}`);
        log(`portkey skipped: ${portkey.reason}`);
      }
    }
  }
  const chosen = options.only === null ? targets : targets.filter((target) => options.only?.includes(target.name));
  const context: BenchContext = {
    targets: chosen,
    load,
    rounds: options.rounds,
    timeScale: options.quick ? 0.4 : 1,
    notes,
    log,
  };

  for (const name of options.scenarios) {
    const scenario = SCENARIOS[name];
    if (!scenario) continue;
    log(`scenario ${name}: ${scenario.description}`);
    const result = await scenario.run(context, environment);
    for (const shown of result.tables) {
      const table = scenario.http ? withSkippedRows(shown, skipped) : shown;
      process.stdout.write(`\n${renderTable(table)}\n`);
      tables.push(table);
    }
    data[name] = result.data;
    Object.assign(figures, result.figures ?? {});
  }
  const variants = chosen.map((target) => target.name).filter((name) => name === 'runcap' || name === 'runcap-redis');
  const verdicts = evaluateTargets(figures, variants.length > 0 ? variants : ['runcap']);
  const targetTable = targetsTable(verdicts);
  process.stdout.write(`\n${renderTable(targetTable)}\n`);
  tables.push(targetTable);
  data['targets'] = verdicts;
  data['loadAverageAfter'] = describeMachine().loadAverage;

  const header = [
    `runcap benchmarks, ${new Date(startedMs).toISOString()}`,
    `machine: ${machineLine(machine)}`,
    `load average at the end: ${describeMachine().loadAverage}`,
    `runcap log level: ${options.logLevel}; rounds: ${options.rounds}${options.quick ? ' (quick)' : ''}`,
    ...notes,
  ];
  process.stdout.write(`\n${header.join('\n')}\n`);
  const outDir = join(REPO_ROOT, '.bench-out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify({ ...data, notes }, null, 2)}\n`);
  writeFileSync(
    join(outDir, 'results.md'),
    `${header.map((line) => `${line}  `).join('\n')}\n\n${tables.map(markdownTable).join('\n\n')}\n`,
  );
  log(`done in ${((Date.now() - startedMs) / 1000).toFixed(0)} s; tables and raw figures in .bench-out/`);
}

async function stopStarted(): Promise<void> {
  for (const service of started.reverse()) await service.stop().catch(() => undefined);
  await stopAll();
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopStarted());
