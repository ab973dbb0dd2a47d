// Small non-streaming chat (~1 KB request and answer), closed loop: throughput and
// latency at a fixed concurrency, and latency at concurrency 1 (what one call pays).
// Upstream latency 0, so the figures are the proxies' own cost.
import { smallChatRequest } from '../lib/bodies.js';
import { fixed, median, percentile, ratio, signed, type Table } from '../lib/stats.js';
import {
  CHAT_PATH,
  CLIENT_HEADERS,
  roundOrder,
  seconds,
  unique,
  withCpu,
  type BenchContext,
  type ScenarioResult,
  type TargetName,
} from './context.js';

export const SMALL_CONCURRENCY = 32;

interface Round {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  soloP50Ms: number;
  soloP99Ms: number;
  failed: number;
}

export async function runSmallChat(context: BenchContext): Promise<ScenarioResult> {
  const body = smallChatRequest({ stream: false });
  const rounds = new Map<TargetName, Round[]>(context.targets.map((target) => [target.name, []]));
  const throughputS = seconds(context, 3);
  const soloS = seconds(context, 2);
  context.log(
    `small chat: ${Buffer.byteLength(body)} B request, c=${SMALL_CONCURRENCY} for ${throughputS}s and c=1 for ${soloS}s, ${context.rounds} rounds`,
  );
  for (const target of context.targets) {
    await context.load.closedLoop({
      url: target.url + CHAT_PATH,
      body,
      headers: CLIENT_HEADERS,
      connections: SMALL_CONCURRENCY,
      durationS: 1,
      runIdPrefix: unique('run_warm'),
    });
  }
  for (let round = 0; round < context.rounds; round += 1) {
    for (const target of roundOrder(context.targets, round)) {
      const url = target.url + CHAT_PATH;
      const loaded = await withCpu(target, () =>
        context.load.closedLoop({
          url,
          body,
          headers: CLIENT_HEADERS,
          connections: SMALL_CONCURRENCY,
          durationS: throughputS,
          runIdPrefix: unique('run_small'),
        }),
      );
      const solo = await context.load.closedLoop({
        url,
        body,
        headers: CLIENT_HEADERS,
        connections: 1,
        durationS: soloS,
        runIdPrefix: unique('run_solo'),
      });
      const result = loaded.result;
      rounds.get(target.name)?.push({
        rps: result.ok / result.elapsedS,
        p50Ms: percentile(result.latenciesMs, 0.5),
        p99Ms: percentile(result.latenciesMs, 0.99),
        cpuUsPerRequest: (loaded.cpuMs * 1000) / Math.max(1, result.ok),
        soloP50Ms: percentile(solo.latenciesMs, 0.5),
        soloP99Ms: percentile(solo.latenciesMs, 0.99),
        failed: result.failed + solo.failed,
      });
      context.log(
        `  round ${round + 1} ${target.name}: ${fixed(result.ok / result.elapsedS, 0)} req/s, c=1 p50 ${fixed(percentile(solo.latenciesMs, 0.5), 3)} ms`,
      );
    }
  }

  const summary = new Map<TargetName, Round>();
  for (const [name, list] of rounds) {
    const pick = (field: keyof Round): number => median(list.map((item) => item[field]));
    summary.set(name, {
      rps: pick('rps'),
      p50Ms: pick('p50Ms'),
      p99Ms: pick('p99Ms'),
      cpuUsPerRequest: pick('cpuUsPerRequest'),
      soloP50Ms: pick('soloP50Ms'),
      soloP99Ms: pick('soloP99Ms'),
      failed: list.reduce((sum, item) => sum + item.failed, 0),
    });
  }
  const direct = summary.get('direct');
  const bare = summary.get('bare');
  const rows = [...summary].map(([name, s]) => [
    name,
    fixed(s.rps, 0),
    fixed(s.p50Ms, 2),
    fixed(s.p99Ms, 2),
    fixed(s.cpuUsPerRequest, 0),
    fixed(s.soloP50Ms, 3),
    fixed(s.soloP99Ms, 3),
    signed(s.soloP50Ms - (bare?.soloP50Ms ?? Number.NaN), 3),
    signed(s.soloP50Ms - (direct?.soloP50Ms ?? Number.NaN), 3),
    fixed(ratio(s.rps, bare?.rps ?? Number.NaN), 2),
    fixed(ratio(s.rps, direct?.rps ?? Number.NaN), 2),
    String(s.failed),
  ]);
  const table: Table = {
    title: `Small chat (~1 KB, non-streaming), closed loop c=${SMALL_CONCURRENCY} and c=1, upstream latency 0 — medians of ${context.rounds} rounds`,
    header: [
      'target',
      'req/s',
      'p50 ms',
      'p99 ms',
      'proxy CPU µs/req',
      'c=1 p50 ms',
      'c=1 p99 ms',
      'c=1 p50 vs bare',
      'c=1 p50 vs direct',
      'req/s ÷ bare',
      'req/s ÷ direct',
      'errors',
    ],
    rows,
    notes: ['req/s ÷ bare for runcap is the runcap/bare throughput ratio; for bare, req/s ÷ direct is bare/direct.'],
  };
  return { tables: [table], data: { rounds: Object.fromEntries(rounds), summary: Object.fromEntries(summary) } };
}
