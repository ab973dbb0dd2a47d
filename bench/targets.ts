// The hot-path targets of issue 13, checked against the figures of one benchmark run (the
// scenarios' named figures): each target per runcap variant, with the measured value, the
// threshold and pass / FAIL, or "not measured" when its scenario or reference did not run.
import { fixed, type Table } from './lib/stats.js';

type Figures = Readonly<Record<string, number>>;

interface Check {
  readonly target: string;
  /** The measured value, or NaN when not measured. */
  readonly value: (figures: Figures, runcap: string) => number;
  readonly digits: number;
  /** The bound the value must meet: one of the two. */
  readonly atLeast?: number;
  readonly atMost?: number;
  /** Checked once (not per runcap variant): the figure names its own subject. */
  readonly once?: string;
}

const get = (figures: Figures, name: string): number => figures[name] ?? Number.NaN;

const thresholdOf = (check: Check): string =>
  check.atLeast !== undefined
    ? `>= ${fixed(check.atLeast, check.digits)}`
    : `<= ${fixed(check.atMost ?? NaN, check.digits)}`;
const passes = (check: Check, value: number): boolean =>
  check.atLeast !== undefined ? value >= check.atLeast : value <= (check.atMost ?? NaN);

const CHECKS: readonly Check[] = [
  {
    target: 'small chat, seen, c=32: req/s ÷ bare',
    value: (f, r) => get(f, `small.seenRps.${r}`) / get(f, 'small.seenRps.bare'),
    digits: 2,
    atLeast: 0.8,
  },
  {
    target: 'small chat, seen, c=32: CPU per call ÷ bare',
    value: (f, r) => get(f, `small.seenCpuUs.${r}`) / get(f, 'small.seenCpuUs.bare'),
    digits: 2,
    atMost: 1.25,
  },
  {
    target: 'small chat, seen, c=32: req/s ÷ Portkey',
    value: (f, r) => get(f, `small.seenRps.${r}`) / get(f, 'small.seenRps.portkey'),
    digits: 2,
    atLeast: 4,
  },
  {
    target: 'small chat, never-seen ~1 KB turn, c=32: req/s ÷ bare',
    value: (f, r) => get(f, `small.newRps.${r}`) / get(f, 'small.newRps.bare'),
    digits: 2,
    atLeast: 0.6,
  },
  {
    target: 'one connection: p50 added over direct, ms',
    value: (f, r) => get(f, `small.soloP50Ms.${r}`) - get(f, 'small.soloP50Ms.direct'),
    digits: 3,
    atMost: 0.5,
  },
  {
    target: 'agent loop, resend-everything: proxy CPU per step ÷ bare',
    value: (f, r) => get(f, `agent.cpuMsPerStep.${r}`) / get(f, 'agent.cpuMsPerStep.bare'),
    digits: 2,
    atMost: 2,
  },
  {
    target: 'ledger alone, SQLite, 1 scope, 32 in flight: pairs/s',
    value: (f) => get(f, 'ledger.sqlite.1.32.pairsPerS'),
    digits: 0,
    atLeast: 20_000,
    once: 'runcap',
  },
  {
    target: 'ledger alone, SQLite, 1 scope, 32 in flight: p99 µs/pair',
    value: (f) => get(f, 'ledger.sqlite.1.32.p99Us'),
    digits: 0,
    atMost: 2_000,
    once: 'runcap',
  },
  {
    target: 'ledger alone, Redis, 1 scope, 32 in flight: pairs/s',
    value: (f) => get(f, 'ledger.redis.1.32.pairsPerS'),
    digits: 0,
    atLeast: 10_000,
    once: 'runcap-redis',
  },
  {
    target: 'idle RSS, MB',
    value: (f) => get(f, 'memory.idleMb'),
    digits: 1,
    atMost: 150,
    once: 'runcap',
  },
];

export interface TargetVerdict {
  readonly target: string;
  readonly subject: string;
  readonly value: number;
  readonly threshold: string;
  readonly verdict: 'pass' | 'FAIL' | 'not measured';
}

/** Every check for every runcap variant that ran (runcap, runcap-redis; runcap-base is a reference). */
export function evaluateTargets(figures: Figures, variants: readonly string[]): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  for (const check of CHECKS) {
    for (const subject of check.once === undefined ? variants : [check.once]) {
      const value = check.value(figures, subject);
      verdicts.push({
        target: check.target,
        subject,
        value,
        threshold: thresholdOf(check),
        verdict: Number.isFinite(value) ? (passes(check, value) ? 'pass' : 'FAIL') : 'not measured',
      });
    }
  }
  return verdicts;
}

export function targetsTable(verdicts: readonly TargetVerdict[]): Table {
  const digitsOf = (target: string): number => CHECKS.find((check) => check.target === target)?.digits ?? 2;
  return {
    title: 'Issue 13 targets, this run',
    header: ['target', 'runcap', 'measured', 'target', 'verdict'],
    rows: verdicts.map((v) => [v.target, v.subject, fixed(v.value, digitsOf(v.target)), v.threshold, v.verdict]),
    notes: [
      'Ratios are taken within this run (same machine, same moment); "not measured": the scenario or its reference (bare, direct, Portkey) did not run.',
    ],
  };
}
