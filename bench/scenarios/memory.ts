// Memory: a fresh runcap (SQLite) under 60 s of mixed load — small chat (c=8), streams
// (c=4) and back-to-back agent loops (10 runs x 30 steps, never-seen texts, so the
// token-count cache fills) — RSS sampled every 5 s, and once more after 5 s idle.
import { smallChatRequest } from '../lib/bodies.js';
import { scrapeGauge } from '../lib/metrics-scrape.js';
import { sampleProcess, startRuncap } from '../lib/processes.js';
import { fixed, type Table } from '../lib/stats.js';
import { AGENT_STEPS, AGENT_UPSTREAM_LATENCY_MS, NEW_CHARS_PER_STEP } from './agent-loop.js';
import {
  CHAT_PATH,
  CLIENT_HEADERS,
  seconds,
  unique,
  type BenchContext,
  type Environment,
  type ScenarioResult,
} from './context.js';

const MB = 1024 * 1024;

export async function runMemoryScenario(context: BenchContext, environment: Environment): Promise<ScenarioResult> {
  const loadS = seconds(context, 60);
  const runcap = await startRuncap({
    name: 'runcap-memory',
    upstreamUrl: environment.upstream.url,
    ledger: { kind: 'sqlite' },
    logLevel: environment.logLevel,
  });
  const url = runcap.url + CHAT_PATH;
  try {
    const idle = sampleProcess(runcap.pid);
    await context.load.closedLoop({
      url,
      body: smallChatRequest({ stream: false }),
      headers: CLIENT_HEADERS,
      connections: 8,
      durationS: 3,
      runIdPrefix: unique('run_warm'),
    });
    const warm = sampleProcess(runcap.pid);
    context.log(
      `memory: runcap RSS ${fixed(idle.rssBytes / MB, 1)} MB idle, ${fixed(warm.rssBytes / MB, 1)} MB warm; ${loadS}s of mixed load`,
    );
    const deadline = Date.now() + loadS * 1000;
    const samples: { atS: number; rssMb: number }[] = [];
    let peak = warm.rssBytes;
    const sampler = setInterval(() => {
      const rss = sampleProcess(runcap.pid).rssBytes;
      peak = Math.max(peak, rss);
      samples.push({ atS: Math.round(loadS - (deadline - Date.now()) / 1000), rssMb: rss / MB });
    }, 5_000);
    let agentCalls = 0;
    const agents = (async () => {
      while (Date.now() < deadline - 5_000) {
        await context.load.agentLoop({
          url,
          headers: { ...CLIENT_HEADERS, 'x-bench-latency-ms': String(AGENT_UPSTREAM_LATENCY_MS) },
          runs: 10,
          steps: AGENT_STEPS,
          newCharsPerStep: NEW_CHARS_PER_STEP,
          seed: unique('memory'),
        });
        agentCalls += 10 * AGENT_STEPS;
      }
    })();
    const [small, streams] = await Promise.all([
      context.load.closedLoop({
        url,
        body: smallChatRequest({ stream: false }),
        headers: CLIENT_HEADERS,
        connections: 8,
        durationS: loadS,
        runIdPrefix: unique('run_mem'),
      }),
      context.load.streams({
        url,
        body: smallChatRequest({ stream: true }),
        headers: { ...CLIENT_HEADERS, 'x-bench-chunks': '200', 'x-bench-chunk-interval-ms': '1' },
        concurrency: 4,
        durationS: loadS,
        runIdPrefix: unique('run_memstream'),
      }),
      agents,
    ]);
    clearInterval(sampler);
    const loaded = sampleProcess(runcap.pid);
    peak = Math.max(peak, loaded.rssBytes);
    const heapUsed = await scrapeGauge(runcap.url, 'runcap_process_nodejs_heap_size_used_bytes');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const rested = sampleProcess(runcap.pid);
    const calls = small.ok + streams.ok + agentCalls;
    const table: Table = {
      title: `Memory: runcap (SQLite) RSS under ${loadS} s of mixed load (small chat c=8 + streams c=4 + agent loops 10x${AGENT_STEPS})`,
      header: [
        'idle MB',
        'warm MB',
        `after ${loadS} s MB`,
        'peak MB',
        '5 s later MB',
        'heap used MB',
        'calls served',
        'CPU s used',
      ],
      rows: [
        [
          fixed(idle.rssBytes / MB, 1),
          fixed(warm.rssBytes / MB, 1),
          fixed(loaded.rssBytes / MB, 1),
          fixed(peak / MB, 1),
          fixed(rested.rssBytes / MB, 1),
          fixed(heapUsed / MB, 1),
          String(calls),
          fixed((loaded.cpuMs - warm.cpuMs) / 1000, 1),
        ],
      ],
      notes: [`RSS every 5 s (MB): ${samples.map((sample) => fixed(sample.rssMb, 0)).join(', ')}.`],
    };
    return {
      tables: [table],
      figures: { 'memory.idleMb': idle.rssBytes / MB },
      data: {
        idle,
        warm,
        loaded,
        peak,
        rested,
        heapUsed,
        samples,
        calls,
        small: small.ok,
        streams: streams.ok,
        agentCalls,
      },
    };
  } finally {
    await runcap.stop();
  }
}
