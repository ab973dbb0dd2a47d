// Agent loop: 20 concurrent runs x 30 steps, each step resending the whole conversation
// (context growing to ~50K tokens), upstream latency 20 ms. Added latency per step over
// the bare proxy, early vs late steps (step N must cost O(new tokens), not O(context)),
// runcap's own overhead histogram, and the estimator's share measured in-process with
// and without the per-message count cache.
import { scrapeHistogram } from '../lib/metrics-scrape.js';
import { fixed, mean, median, signed, type Table } from '../lib/stats.js';
import {
  CHAT_PATH,
  headersFor,
  roundOrder,
  unique,
  withCpu,
  type BenchContext,
  type ScenarioResult,
  type TargetName,
} from './context.js';
import { measureEstimator } from './estimator.js';

export const AGENT_RUNS = 20;
export const AGENT_STEPS = 30;
/** ~1.7K new tokens a step: ~50K tokens of context at step 30. */
export const NEW_CHARS_PER_STEP = 7_500;
export const AGENT_UPSTREAM_LATENCY_MS = 20;

interface Round {
  /** Median over runs, per step (ms). */
  perStepMs: number[];
  wallS: number;
  cpuMsPerStep: number;
  /** runcap_overhead_seconds mean over this round's calls (ms); NaN for non-runcap targets. */
  serverOverheadMs: number;
  failed: number;
}

const EARLY = [1, 2, 3];
const LATE = [AGENT_STEPS - 2, AGENT_STEPS - 1, AGENT_STEPS];

function stepsMean(perStep: readonly number[], steps: readonly number[]): number {
  return mean(steps.map((step) => perStep[step - 1] ?? Number.NaN));
}

export async function runAgentLoopScenario(context: BenchContext): Promise<ScenarioResult> {
  const extra = { 'x-bench-latency-ms': String(AGENT_UPSTREAM_LATENCY_MS) };
  const runs = context.timeScale < 1 ? 10 : AGENT_RUNS;
  context.log(
    `agent loop: ${runs} runs x ${AGENT_STEPS} steps, +${NEW_CHARS_PER_STEP} chars/step, upstream ${AGENT_UPSTREAM_LATENCY_MS} ms, ${context.rounds} rounds`,
  );
  const rounds = new Map<TargetName, Round[]>(context.targets.map((target) => [target.name, []]));
  let lastBodyChars = 0;
  for (let round = 0; round < context.rounds; round += 1) {
    for (const target of roundOrder(context.targets, round)) {
      const isRuncap = target.name.startsWith('runcap');
      const before = isRuncap ? await scrapeHistogram(target.url, 'runcap_overhead_seconds', 'endpoint="chat"') : null;
      const { result, cpuMs } = await withCpu(target, () =>
        context.load.agentLoop({
          url: target.url + CHAT_PATH,
          headers: headersFor(target, extra),
          runs,
          steps: AGENT_STEPS,
          newCharsPerStep: NEW_CHARS_PER_STEP,
          seed: unique(`agent_${target.name}_${round}`),
        }),
      );
      const after = isRuncap ? await scrapeHistogram(target.url, 'runcap_overhead_seconds', 'endpoint="chat"') : null;
      lastBodyChars = result.lastBodyChars;
      const perStepMs = result.latenciesMs.map((samples) => median(samples));
      rounds.get(target.name)?.push({
        perStepMs,
        wallS: result.elapsedS,
        cpuMsPerStep: cpuMs / (runs * AGENT_STEPS),
        serverOverheadMs:
          before && after ? ((after.sum - before.sum) * 1000) / Math.max(1, after.count - before.count) : Number.NaN,
        failed: result.failed,
      });
      context.log(
        `  round ${round + 1} ${target.name}: step 1 ${fixed(perStepMs[0] ?? Number.NaN, 1)} ms, step ${AGENT_STEPS} ${fixed(perStepMs.at(-1) ?? Number.NaN, 1)} ms, wall ${fixed(result.elapsedS, 1)} s`,
      );
    }
  }

  const summary = new Map<TargetName, Round>();
  for (const [name, list] of rounds) {
    summary.set(name, {
      perStepMs: Array.from({ length: AGENT_STEPS }, (_, step) =>
        median(list.map((item) => item.perStepMs[step] ?? Number.NaN)),
      ),
      wallS: median(list.map((item) => item.wallS)),
      cpuMsPerStep: median(list.map((item) => item.cpuMsPerStep)),
      serverOverheadMs: median(list.map((item) => item.serverOverheadMs)),
      failed: list.reduce((sum, item) => sum + item.failed, 0),
    });
  }
  const bare = summary.get('bare');
  const direct = summary.get('direct');
  const added = (s: Round, base: Round | undefined, steps: readonly number[]): number =>
    base ? stepsMean(s.perStepMs, steps) - stepsMean(base.perStepMs, steps) : Number.NaN;
  const all = Array.from({ length: AGENT_STEPS }, (_, index) => index + 1);
  const http: Table = {
    title: `Agent loop: ${runs} runs x ${AGENT_STEPS} steps, resend-everything to ~${Math.round(lastBodyChars / 1000)} KB (~50K tokens), upstream ${AGENT_UPSTREAM_LATENCY_MS} ms — medians of ${context.rounds} rounds`,
    header: [
      'target',
      'step 1-3 ms',
      `step ${LATE[0]}-${AGENT_STEPS} ms`,
      'added vs bare, steps 1-3',
      `added vs bare, steps ${LATE[0]}-${AGENT_STEPS}`,
      'added vs bare, all steps',
      'added vs direct, all steps',
      'server overhead ms/step',
      'proxy CPU ms/step',
      'CPU ÷ bare',
      'run wall s',
      'errors',
    ],
    rows: [...summary].map(([name, s]) => [
      name,
      fixed(stepsMean(s.perStepMs, EARLY), 1),
      fixed(stepsMean(s.perStepMs, LATE), 1),
      signed(added(s, bare, EARLY), 2),
      signed(added(s, bare, LATE), 2),
      signed(added(s, bare, all), 2),
      signed(added(s, direct, all), 2),
      fixed(s.serverOverheadMs, 2),
      fixed(s.cpuMsPerStep, 2),
      fixed(s.cpuMsPerStep / (bare?.cpuMsPerStep ?? Number.NaN), 2),
      fixed(s.wallS, 2),
      String(s.failed),
    ]),
    notes: [
      'Step latency = median over the concurrent runs of one step; "added" compares the same step numbers.',
      'server overhead = runcap_overhead_seconds (parse, estimate, run, reserve, mark forwarded) from its /metrics.',
    ],
  };

  context.log('agent loop: estimator in-process, cached vs uncached');
  const uncachedSteps = [1, 10, 20, AGENT_STEPS];
  const estimator = measureEstimator({
    steps: AGENT_STEPS,
    newCharsPerStep: NEW_CHARS_PER_STEP,
    uncachedSteps,
    repeats: context.timeScale < 1 ? 1 : 3,
    seed: unique('estimator'),
  });
  const runcap = summary.get('runcap');
  const shownSteps = [1, 2, 10, 20, AGENT_STEPS];
  const estimatorTable: Table = {
    title:
      'Agent loop: estimator per step, in-process (countChatInputTokens, o200k_base) — with and without the per-message count cache',
    header: [
      'step',
      'input tokens',
      'body KB',
      'JSON.parse ms',
      'estimate ms (cached)',
      'estimate ms (no cache)',
      'cached share of runcap added latency',
    ],
    rows: shownSteps.map((step) => {
      const row = estimator[step - 1];
      const addedMs =
        runcap && bare
          ? (runcap.perStepMs[step - 1] ?? Number.NaN) - (bare.perStepMs[step - 1] ?? Number.NaN)
          : Number.NaN;
      return [
        String(step),
        String(row?.inputTokens ?? '-'),
        fixed((row?.bodyChars ?? Number.NaN) / 1000, 0),
        fixed(row?.parseMs ?? Number.NaN, 2),
        fixed(row?.cachedMs ?? Number.NaN, 2),
        uncachedSteps.includes(step) ? fixed(row?.uncachedMs ?? Number.NaN, 1) : '-',
        addedMs > 0 ? `${fixed((100 * (row?.cachedMs ?? Number.NaN)) / addedMs, 0)}%` : '-',
      ];
    }),
    notes: [
      `Mean estimate over steps 2-${AGENT_STEPS}: ${fixed(mean(estimator.slice(1).map((row) => row.cachedMs)), 2)} ms cached; the uncached cost grows with the context (O(context) per step).`,
      "The share column divides the in-process estimate time by runcap's added latency over bare at the same step (HTTP run above, 20 runs contending for 2 cores).",
    ],
  };
  const figures: Record<string, number> = {};
  for (const [name, s] of summary) figures[`agent.cpuMsPerStep.${name}`] = s.cpuMsPerStep;
  return {
    tables: [http, estimatorTable],
    figures,
    data: { rounds: Object.fromEntries(rounds), summary: Object.fromEntries(summary), estimator },
  };
}
