// Small non-streaming chat, closed loop, upstream latency 0 (the figures are the proxies' own
// cost), three measures per target and round:
// - "seen": the same ~1.3 KB request every call (its text counted before), c=32: req/s and
//   the proxy process's CPU per call;
// - "new": a never-seen ~1 KB user turn every call (autocannon idReplacement), c=32;
// - "c=1": the seen request one call at a time: p50, and what the proxy adds over direct.
import { smallChatRequest } from '../lib/bodies.js';
import { fixed, median, percentile, ratio, signed, type Table } from '../lib/stats.js';
import {
  CHAT_PATH,
  headersFor,
  roundOrder,
  seconds,
  unique,
  withCpu,
  type BenchContext,
  type ScenarioResult,
  type TargetName,
} from './context.js';

export const SMALL_CONCURRENCY = 32;
/** Characters of the user turn (~1 KB). */
const USER_CHARS = 1_000;

interface Round {
  seenRps: number;
  seenP50Ms: number;
  seenP99Ms: number;
  seenCpuUs: number;
  newRps: number;
  newCpuUs: number;
  soloP50Ms: number;
  soloP99Ms: number;
  failed: number;
}

const FIELDS = [
  'seenRps',
  'seenP50Ms',
  'seenP99Ms',
  'seenCpuUs',
  'newRps',
  'newCpuUs',
  'soloP50Ms',
  'soloP99Ms',
] as const satisfies readonly (keyof Round)[];

export async function runSmallChat(context: BenchContext): Promise<ScenarioResult> {
  const seenBody = smallChatRequest({ stream: false, seen: true, userChars: USER_CHARS });
  const newBody = smallChatRequest({ stream: false, userChars: USER_CHARS, salt: 'new' });
  const rounds = new Map<TargetName, Round[]>(context.targets.map((target) => [target.name, []]));
  const throughputS = seconds(context, 3);
  const soloS = seconds(context, 2);
  context.log(
    `small chat: ${Buffer.byteLength(seenBody)} B request, seen and never-seen at c=${SMALL_CONCURRENCY} for ${throughputS}s each, c=1 for ${soloS}s, ${context.rounds} rounds`,
  );
  const closedLoop = (
    url: string,
    target: (typeof context.targets)[number],
    body: string,
    connections: number,
    durationS: number,
    label: string,
  ) =>
    context.load.closedLoop({
      url,
      body,
      headers: headersFor(target),
      connections,
      durationS,
      runIdPrefix: unique(label),
    });
  for (let round = 0; round < context.rounds; round += 1) {
    for (const target of roundOrder(context.targets, round)) {
      const url = target.url + CHAT_PATH;
      // Warmed again in every round: after the other targets' turns, a target's first measure ran
      // 30-50% below its second (the bare proxy's seen vs never-seen, which cost it the same);
      // with one second of load first they agree (docs/benchmarks.md, "The closing runs").
      await closedLoop(url, target, seenBody, SMALL_CONCURRENCY, 1, 'run_warm');
      const seen = await withCpu(target, () =>
        closedLoop(url, target, seenBody, SMALL_CONCURRENCY, throughputS, 'run_seen'),
      );
      const fresh = await withCpu(target, () =>
        closedLoop(url, target, newBody, SMALL_CONCURRENCY, throughputS, 'run_new'),
      );
      const solo = await closedLoop(url, target, seenBody, 1, soloS, 'run_solo');
      rounds.get(target.name)?.push({
        seenRps: seen.result.ok / seen.result.elapsedS,
        seenP50Ms: percentile(seen.result.latenciesMs, 0.5),
        seenP99Ms: percentile(seen.result.latenciesMs, 0.99),
        seenCpuUs: (seen.cpuMs * 1000) / Math.max(1, seen.result.ok),
        newRps: fresh.result.ok / fresh.result.elapsedS,
        newCpuUs: (fresh.cpuMs * 1000) / Math.max(1, fresh.result.ok),
        soloP50Ms: percentile(solo.latenciesMs, 0.5),
        soloP99Ms: percentile(solo.latenciesMs, 0.99),
        failed: seen.result.failed + fresh.result.failed + solo.failed,
      });
      context.log(
        `  round ${round + 1} ${target.name}: seen ${fixed(seen.result.ok / seen.result.elapsedS, 0)} req/s, new ${fixed(fresh.result.ok / fresh.result.elapsedS, 0)} req/s, c=1 p50 ${fixed(percentile(solo.latenciesMs, 0.5), 3)} ms`,
      );
    }
  }

  const summary = new Map<TargetName, Round>();
  for (const [name, list] of rounds) {
    const entry = { failed: list.reduce((sum, item) => sum + item.failed, 0) } as Round;
    for (const field of FIELDS) entry[field] = median(list.map((item) => item[field]));
    summary.set(name, entry);
  }
  const direct = summary.get('direct');
  const bare = summary.get('bare');
  const portkey = summary.get('portkey');
  const rows = [...summary].map(([name, s]) => [
    name,
    fixed(s.seenRps, 0),
    fixed(ratio(s.seenRps, bare?.seenRps ?? Number.NaN), 2),
    fixed(ratio(s.seenRps, portkey?.seenRps ?? Number.NaN), 2),
    fixed(s.seenCpuUs, 0),
    fixed(ratio(s.seenCpuUs, bare?.seenCpuUs ?? Number.NaN), 2),
    fixed(s.seenP50Ms, 2),
    fixed(s.seenP99Ms, 2),
    fixed(s.newRps, 0),
    fixed(ratio(s.newRps, bare?.newRps ?? Number.NaN), 2),
    fixed(s.newCpuUs, 0),
    fixed(s.soloP50Ms, 3),
    signed(s.soloP50Ms - (direct?.soloP50Ms ?? Number.NaN), 3),
    String(s.failed),
  ]);
  const table: Table = {
    title: `Small chat (~${Math.round(Buffer.byteLength(seenBody) / 100) / 10} KB request, ~1 KB answer, non-streaming), upstream latency 0 — medians of ${context.rounds} rounds`,
    header: [
      'target',
      `seen req/s (c=${SMALL_CONCURRENCY})`,
      '÷ bare',
      '÷ portkey',
      'seen CPU µs/call',
      'CPU ÷ bare',
      'seen p50 ms',
      'seen p99 ms',
      `new req/s (c=${SMALL_CONCURRENCY})`,
      '÷ bare',
      'new CPU µs/call',
      'c=1 p50 ms',
      'c=1 p50 added vs direct',
      'errors',
    ],
    rows,
    notes: [
      'seen: the same request every call (its text counted before); new: a never-seen ~1 KB user turn every call.',
      "CPU µs/call: user+system CPU of the proxy's process (all threads, /proc/<pid>/stat) over the measure, per answered call.",
    ],
  };
  const figures: Record<string, number> = {};
  for (const [name, s] of summary) for (const field of FIELDS) figures[`small.${field}.${name}`] = s[field];
  return {
    tables: [table],
    figures,
    data: { rounds: Object.fromEntries(rounds), summary: Object.fromEntries(summary) },
  };
}
