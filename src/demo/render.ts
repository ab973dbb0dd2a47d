// How `runcap demo` shows itself: on a TTY, colored step lines under a spend-vs-ceiling bar
// that is redrawn as the run goes; otherwise plain lines, one per step, with no ANSI codes.
// Formatting only: it computes nothing about budgets and performs no I/O beyond `out.write`.
import { formatUsd, formatUsdFixed, type Micros } from '../money/micros.js';
import type { BudgetProblem } from './budget-signals.js';
import type { CallResult } from './agent.js';

export interface DemoOutput {
  write(text: string): unknown;
}

export interface IntroInfo {
  readonly providerUrl: string;
  readonly runcapUrl: string;
  readonly ledger: string;
  readonly runId: string;
  readonly ceilingMicros: Micros;
  readonly parallel: number;
  readonly primaryModel: string;
  readonly cheaperModel: string;
  readonly downshiftBelowPercent: number;
}

export interface StepView {
  readonly step: number;
  readonly model: string;
  readonly calls: readonly CallResult[];
  readonly stepCostMicros: Micros;
  readonly spentMicros: Micros;
}

export interface SummaryView {
  readonly spentMicros: Micros;
  readonly ceilingMicros: Micros;
  readonly reservedMicros: Micros;
  readonly runId: string;
  readonly steps: number;
  readonly allowed: number;
  readonly blocked: number;
  readonly downshifts: number;
}

export interface DemoRenderer {
  intro(info: IntroInfo): void;
  calling(step: number, model: string): void;
  step(view: StepView): void;
  downshift(step: number, from: string, to: string, remainingMicros: Micros, thresholdMicros: Micros): void;
  blocked(problem: BudgetProblem): void;
  summary(view: SummaryView): void;
  note(text: string): void;
}

const ESC = '\u001b[';
const STYLES = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' } as const;
type Style = keyof typeof STYLES;
/** Keeps the redrawn bar line under 80 columns: a wrapped line cannot be redrawn in place. */
const BAR_WIDTH = 24;

const usd = (micros: Micros): string => `$${formatUsdFixed(micros)}`;
const pad = (text: string, width: number): string => text + ' '.repeat(Math.max(0, width - text.length));

export function createRenderer(out: DemoOutput, options: { readonly tty: boolean }): DemoRenderer {
  const tty = options.tty;
  const paint = (style: Style, text: string): string => (tty ? `${ESC}${STYLES[style]}m${text}${ESC}0m` : text);
  let ceilingMicros = 0;
  let spentMicros = 0;
  let status = '';
  let barShown = false;
  /** On a TTY the bar stays under the output until the summary. */
  let live = true;

  const decisionColor = (decision: string): Style =>
    decision === 'allow' ? 'green' : decision === 'block' ? 'red' : 'yellow';
  const percent = (micros: Micros): number => (ceilingMicros > 0 ? Math.floor((micros * 100) / ceilingMicros) : 0);

  function bar(): string {
    const filled = Math.min(BAR_WIDTH, Math.floor((spentMicros * BAR_WIDTH) / Math.max(1, ceilingMicros)));
    const pct = percent(spentMicros);
    const color: Style = pct >= 90 ? 'red' : pct >= 70 ? 'yellow' : 'green';
    const gauge = `${filled > 0 ? paint(color, '█'.repeat(filled)) : ''}${paint('dim', '░'.repeat(BAR_WIDTH - filled))}`;
    return `  ${gauge} ${usd(spentMicros)} of $${formatUsd(ceilingMicros)} (${pct}%)  ${paint('dim', status)}`;
  }
  /** Prints lines; on a TTY they go above the live bar, which is then redrawn. */
  function print(...lines: string[]): void {
    if (!tty) {
      out.write(lines.map((line) => `${line}\n`).join(''));
      return;
    }
    out.write(`${barShown ? `\r${ESC}2K` : ''}${lines.map((line) => `${line}\n`).join('')}${live ? bar() : ''}`);
    barShown = live;
  }
  function redrawBar(): void {
    if (!tty || !live) return;
    out.write(`\r${ESC}2K${bar()}`);
    barShown = true;
  }
  /** Clears the live bar for good (the summary and notes end the run). */
  function endBar(): void {
    if (tty && barShown) out.write(`\r${ESC}2K`);
    barShown = false;
    live = false;
  }

  return {
    intro(info) {
      ceilingMicros = info.ceilingMicros;
      print(
        paint('bold', 'runcap demo') +
          ' - a simulated agent, through a real runcap, to a simulated provider (no network, no API key)',
        `  provider  ${info.providerUrl}  (simulated OpenAI-compatible, deterministic)`,
        `  runcap    ${info.runcapUrl}  (hard_gate, ledger ${info.ledger})`,
        `  run       ${info.runId}  ceiling $${formatUsd(info.ceilingMicros)}`,
        `  agent     ${info.parallel} parallel calls a step, resending its whole context; downshifts ${info.primaryModel} -> ${info.cheaperModel} ` +
          `below ${info.downshiftBelowPercent}% ($${formatUsd(Math.floor((info.ceilingMicros * info.downshiftBelowPercent) / 100))}) remaining`,
        '',
      );
    },
    calling(step, model) {
      status = `step ${step} ${model}...`;
      redrawBar();
    },
    step(view) {
      spentMicros = view.spentMicros;
      status = `step ${view.step} done`;
      const decisions = view.calls.map((c) => paint(decisionColor(c.decision), pad(c.decision, 5))).join(' ');
      const served = view.calls.filter((c) => c.problem === null);
      const input = served.length > 0 ? Math.max(...served.map((c) => c.promptTokens)).toLocaleString('en-US') : '-';
      print(
        `step ${String(view.step).padStart(2)}  ${paint('cyan', pad(view.model, 13))} ${decisions}  ` +
          `input ${pad(input, 6)} tok/call  cost ${usd(view.stepCostMicros)}  ` +
          `spent ${usd(view.spentMicros)} of $${formatUsd(ceilingMicros)} (${percent(view.spentMicros)}%)`,
      );
    },
    downshift(step, from, to, remainingMicros, thresholdMicros) {
      print(
        paint(
          'yellow',
          `downgrade (agent-side) after step ${step}: X-Budget-Remaining-USD ${usd(remainingMicros)} < ${usd(thresholdMicros)}, `,
        ) + paint('yellow', `switching ${from} -> ${to}`),
      );
    },
    blocked(problem) {
      const b = problem.budget;
      const field = (name: string): string => (b[name] === undefined || b[name] === null ? '?' : String(b[name]));
      const alternatives =
        problem.alternatives.length > 0
          ? problem.alternatives.map((a) => `${a.model} (up to $${a.estimateUsd})`).join(', ')
          : 'none that fit';
      print(
        '',
        paint('red', paint('bold', `blocked: HTTP ${problem.status} ${problem.code}`)) +
          `  (X-Budget-Decision: ${problem.decision ?? '?'}, x-should-retry: ${problem.shouldRetry ?? '?'})`,
        `  detail        ${problem.detail}`,
        `  budget        scope ${field('scope')}  limit $${field('limit_usd')}  committed $${field('committed_usd')}  reserved $${field('reserved_usd')}  ` +
          `remaining $${field('remaining_usd')}  estimate $${field('estimate_usd')}`,
        `  alternatives  ${alternatives}`,
      );
    },
    summary(view) {
      spentMicros = view.spentMicros;
      status = 'done';
      const within = view.spentMicros <= view.ceilingMicros;
      endBar();
      print(
        '',
        ...(tty ? [bar()] : []),
        paint('bold', `total spent: ${usd(view.spentMicros)} of $${formatUsd(view.ceilingMicros)} ceiling`) +
          ` (runcap ledger, run ${view.runId}, ${usd(view.reservedMicros)} still reserved) - ` +
          (within ? paint('green', 'within the ceiling') : paint('red', 'OVER the ceiling')),
        `calls: ${view.allowed + view.blocked} (${view.allowed} allowed, ${view.blocked} blocked) in ${view.steps} steps, ${view.downshifts} agent-side downshift(s)`,
      );
    },
    note(text) {
      endBar();
      print(text);
    },
  };
}
