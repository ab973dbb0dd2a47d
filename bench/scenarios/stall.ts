// Event-loop stall from tokenization: p99 time to first byte of small streaming calls
// (open loop, 25/s: low enough that runcap is far from saturation, so what shows is
// the stall, not a queue) with and without never-seen ~50K-token calls every 1.5 s.
// Tokenizing such a context takes hundreds of ms; on the event loop it delays every
// call that arrives meanwhile.
import { smallChatRequest } from '../lib/bodies.js';
import { fixed, median, percentile, signed, type Table } from '../lib/stats.js';
import {
  CHAT_PATH,
  CLIENT_HEADERS,
  roundOrder,
  seconds,
  unique,
  type BenchContext,
  type ScenarioResult,
} from './context.js';

export const STALL_SMALL_RATE = 25;
export const STALL_LARGE_EVERY_MS = 1_500;
/** ~50K tokens of prose. */
export const STALL_LARGE_CHARS = 225_000;

interface Round {
  ttfbP50Ms: number;
  ttfbP95Ms: number;
  ttfbP99Ms: number;
  ttfbMaxMs: number;
  largeP50Ms: number;
  failed: number;
}

export async function runStall(context: BenchContext): Promise<ScenarioResult> {
  const targets = context.targets.filter(
    (target) => target.name === 'bare' || target.name === 'runcap' || target.name === 'runcap-base',
  );
  const smallBody = smallChatRequest({ stream: true, salt: 'stall' });
  const headers = { ...CLIENT_HEADERS, 'x-bench-chunks': '20', 'x-bench-chunk-interval-ms': '0' };
  const durationS = seconds(context, 4);
  context.log(
    `stall: small streams open-loop ${STALL_SMALL_RATE}/s for ${durationS}s, with and without a ${STALL_LARGE_CHARS}-char never-seen call every ${STALL_LARGE_EVERY_MS} ms`,
  );
  const conditions = [
    { name: 'small only', largeEveryMs: 0 },
    { name: '+ 50K-token calls', largeEveryMs: STALL_LARGE_EVERY_MS },
  ];
  const rounds = new Map<string, Round[]>();
  for (let round = 0; round < context.rounds; round += 1) {
    for (const target of roundOrder(targets, round)) {
      for (const condition of conditions) {
        const result = await context.load.stall({
          url: target.url + CHAT_PATH,
          headers,
          smallBody,
          smallRatePerS: STALL_SMALL_RATE,
          durationS,
          largeEveryMs: condition.largeEveryMs,
          largeChars: STALL_LARGE_CHARS,
          seed: unique(`stall_${target.name}_${round}`),
        });
        const key = `${target.name} | ${condition.name}`;
        const list = rounds.get(key) ?? [];
        list.push({
          ttfbP50Ms: percentile(result.small.ttfbMs, 0.5),
          ttfbP95Ms: percentile(result.small.ttfbMs, 0.95),
          ttfbP99Ms: percentile(result.small.ttfbMs, 0.99),
          ttfbMaxMs: percentile(result.small.ttfbMs, 1),
          largeP50Ms: percentile(result.largeMs, 0.5),
          failed: result.small.failed + result.largeFailed,
        });
        rounds.set(key, list);
        context.log(
          `  round ${round + 1} ${key}: TTFB p50 ${fixed(percentile(result.small.ttfbMs, 0.5), 2)} p99 ${fixed(percentile(result.small.ttfbMs, 0.99), 1)} ms; large p50 ${fixed(percentile(result.largeMs, 0.5), 0)} ms`,
        );
      }
    }
  }
  const summary = new Map<string, Round>();
  for (const [key, list] of rounds) {
    const pick = (field: keyof Round): number => median(list.map((item) => item[field]));
    summary.set(key, {
      ttfbP50Ms: pick('ttfbP50Ms'),
      ttfbP95Ms: pick('ttfbP95Ms'),
      ttfbP99Ms: pick('ttfbP99Ms'),
      ttfbMaxMs: pick('ttfbMaxMs'),
      largeP50Ms: pick('largeP50Ms'),
      failed: list.reduce((sum, item) => sum + item.failed, 0),
    });
  }
  const table: Table = {
    title: `Event-loop stall: small streams (${STALL_SMALL_RATE}/s open loop) while ~50K-token never-seen calls arrive every ${STALL_LARGE_EVERY_MS} ms — medians of ${context.rounds} rounds`,
    header: [
      'target | condition',
      'TTFB p50 ms',
      'TTFB p95 ms',
      'TTFB p99 ms',
      'TTFB max ms',
      'p99 vs small only',
      'large call p50 ms',
      'errors',
    ],
    rows: [...summary].map(([key, s]) => {
      const base = summary.get(`${key.split(' | ')[0] ?? ''} | small only`);
      return [
        key,
        fixed(s.ttfbP50Ms, 2),
        fixed(s.ttfbP95Ms, 1),
        fixed(s.ttfbP99Ms, 1),
        fixed(s.ttfbMaxMs, 1),
        signed(s.ttfbP99Ms - (base?.ttfbP99Ms ?? Number.NaN), 1),
        fixed(s.largeP50Ms, 0),
        String(s.failed),
      ];
    }),
  };
  return { tables: [table], data: { rounds: Object.fromEntries(rounds), summary: Object.fromEntries(summary) } };
}
