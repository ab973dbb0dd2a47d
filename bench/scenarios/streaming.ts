// Streaming chat: 200 SSE chunks 1 ms apart, closed loop at a small concurrency. Time to
// first byte and total time per call, and what each proxy adds to both.
import { smallChatRequest } from '../lib/bodies.js';
import { fixed, median, percentile, signed, type Table } from '../lib/stats.js';
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

export const STREAM_CHUNKS = 200;
export const STREAM_CONCURRENCY = 8;

interface Round {
  ttfbP50Ms: number;
  ttfbP99Ms: number;
  totalP50Ms: number;
  totalP99Ms: number;
  callsPerS: number;
  cpuUsPerCall: number;
  failed: number;
}

export async function runStreaming(context: BenchContext): Promise<ScenarioResult> {
  const body = smallChatRequest({ stream: true });
  const extra = { 'x-bench-chunks': String(STREAM_CHUNKS), 'x-bench-chunk-interval-ms': '1' };
  const durationS = seconds(context, 3);
  context.log(
    `streaming: ${STREAM_CHUNKS} chunks 1 ms apart, c=${STREAM_CONCURRENCY} for ${durationS}s, ${context.rounds} rounds`,
  );
  // Portkey 1.15.2 answers every stream through a custom host with 500 on Node 20 (TypeError
  // "immutable" appending to the upstream response's headers in its updateHeaders): no row.
  const targets = context.targets.filter((target) => target.name !== 'portkey');
  if (targets.length < context.targets.length)
    context.notes.push(
      'Streaming: no portkey row (its streams fail with 500, TypeError "immutable" in updateHeaders, on Node 20).',
    );
  const rounds = new Map<TargetName, Round[]>(targets.map((target) => [target.name, []]));
  for (const target of targets) {
    await context.load.streams({
      url: target.url + CHAT_PATH,
      body,
      headers: headersFor(target, extra),
      concurrency: STREAM_CONCURRENCY,
      durationS: 1,
      runIdPrefix: unique('run_warm'),
    });
  }
  for (let round = 0; round < context.rounds; round += 1) {
    for (const target of roundOrder(targets, round)) {
      const { result, cpuMs } = await withCpu(target, () =>
        context.load.streams({
          url: target.url + CHAT_PATH,
          body,
          headers: headersFor(target, extra),
          concurrency: STREAM_CONCURRENCY,
          durationS,
          runIdPrefix: unique('run_stream'),
        }),
      );
      rounds.get(target.name)?.push({
        ttfbP50Ms: percentile(result.ttfbMs, 0.5),
        ttfbP99Ms: percentile(result.ttfbMs, 0.99),
        totalP50Ms: percentile(result.totalMs, 0.5),
        totalP99Ms: percentile(result.totalMs, 0.99),
        callsPerS: result.ok / result.elapsedS,
        cpuUsPerCall: (cpuMs * 1000) / Math.max(1, result.ok),
        failed: result.failed,
      });
      context.log(
        `  round ${round + 1} ${target.name}: ttfb p50 ${fixed(percentile(result.ttfbMs, 0.5), 2)} ms, total p50 ${fixed(percentile(result.totalMs, 0.5), 1)} ms`,
      );
    }
  }
  const summary = new Map<TargetName, Round>();
  for (const [name, list] of rounds) {
    const pick = (field: keyof Round): number => median(list.map((item) => item[field]));
    summary.set(name, {
      ttfbP50Ms: pick('ttfbP50Ms'),
      ttfbP99Ms: pick('ttfbP99Ms'),
      totalP50Ms: pick('totalP50Ms'),
      totalP99Ms: pick('totalP99Ms'),
      callsPerS: pick('callsPerS'),
      cpuUsPerCall: pick('cpuUsPerCall'),
      failed: list.reduce((sum, item) => sum + item.failed, 0),
    });
  }
  const direct = summary.get('direct');
  const bare = summary.get('bare');
  const table: Table = {
    title: `Streaming chat, ${STREAM_CHUNKS} chunks 1 ms apart, c=${STREAM_CONCURRENCY} — medians of ${context.rounds} rounds`,
    header: [
      'target',
      'TTFB p50 ms',
      'TTFB p99 ms',
      'total p50 ms',
      'total p99 ms',
      'TTFB p50 vs bare',
      'TTFB p50 vs direct',
      'total p50 vs bare',
      'total p50 vs direct',
      'proxy CPU µs/call',
      'errors',
    ],
    rows: [...summary].map(([name, s]) => [
      name,
      fixed(s.ttfbP50Ms, 2),
      fixed(s.ttfbP99Ms, 2),
      fixed(s.totalP50Ms, 1),
      fixed(s.totalP99Ms, 1),
      signed(s.ttfbP50Ms - (bare?.ttfbP50Ms ?? Number.NaN), 2),
      signed(s.ttfbP50Ms - (direct?.ttfbP50Ms ?? Number.NaN), 2),
      signed(s.totalP50Ms - (bare?.totalP50Ms ?? Number.NaN), 2),
      signed(s.totalP50Ms - (direct?.totalP50Ms ?? Number.NaN), 2),
      fixed(s.cpuUsPerCall, 0),
      String(s.failed),
    ]),
    notes: [
      'TTFB = first body byte (the first SSE event); total = end of stream. The upstream needs ~200 timer ticks per stream.',
    ],
  };
  return { tables: [table], data: { rounds: Object.fromEntries(rounds), summary: Object.fromEntries(summary) } };
}
