// `runcap demo` end to end, in-process and in plain (non-TTY) mode: the simulated agent runs
// through a real runcap to the simulated provider, downshifts, hits the 402, and the ledger
// total it prints stays within the ceiling.
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/cli/demo.js';
import { parseUsd } from '../src/money/micros.js';

interface StepLine {
  readonly step: number;
  readonly model: string;
  readonly decisions: readonly string[];
  readonly spentMicros: number;
}

function stepLines(output: string): StepLine[] {
  const pattern = /^step +(\d+) +(\S+) +((?:(?:allow|downgrade|advisory_warn|block) +){3}).*spent \$(\d+\.\d+) of/gm;
  return [...output.matchAll(pattern)].map((m) => ({
    step: Number(m[1]),
    model: m[2] ?? '',
    decisions: (m[3] ?? '').trim().split(/ +/),
    spentMicros: parseUsd(m[4]),
  }));
}

describe('runcap demo', () => {
  it('shows allow, an agent-side downshift and a 402, and spends no more than the ceiling', async () => {
    let output = '';
    const started = Date.now();
    const code = await runDemo(['--plain'], {
      out: { write: (text: string) => (output += text) },
      tty: false,
      handleSigint: false,
    });
    const elapsedMs = Date.now() - started;

    expect(code).toBe(0);
    expect(elapsedMs).toBeLessThan(30_000);
    expect(output).not.toMatch(/\u001b/); // no ANSI escape codes off a terminal

    const steps = stepLines(output);
    expect(steps.length).toBeGreaterThanOrEqual(8);
    expect(steps.length).toBeLessThanOrEqual(15);
    expect(steps.map((s) => s.step)).toEqual(steps.map((_, i) => i + 1));
    expect(steps[0]).toMatchObject({ model: 'gpt-4.1', decisions: ['allow', 'allow', 'allow'] });

    // The downshift: gpt-4.1 until the remaining budget fell below 30% of $0.50, gpt-4.1-mini after.
    const downshift =
      /^downgrade \(agent-side\) after step (\d+): X-Budget-Remaining-USD \$(\d+\.\d+) < \$0\.150000, switching gpt-4\.1 -> gpt-4\.1-mini$/m.exec(
        output,
      );
    expect(downshift).not.toBeNull();
    const downshiftAfter = Number(downshift?.[1]);
    expect(parseUsd(downshift?.[2])).toBeLessThan(150_000);
    expect(steps.filter((s) => s.step <= downshiftAfter).every((s) => s.model === 'gpt-4.1')).toBe(true);
    expect(steps.filter((s) => s.step > downshiftAfter).every((s) => s.model === 'gpt-4.1-mini')).toBe(true);
    expect(steps.filter((s) => s.step > downshiftAfter).length).toBeGreaterThanOrEqual(2);

    // The block: only the last step has 402s, and the problem is printed with its budget.
    const last = steps[steps.length - 1];
    expect(last?.decisions).toContain('block');
    expect(steps.slice(0, -1).every((s) => s.decisions.every((d) => d === 'allow'))).toBe(true);
    expect(output).toMatch(
      /^blocked: HTTP 402 run_ceiling_reached {2}\(X-Budget-Decision: block, x-should-retry: false\)$/m,
    );
    const budget =
      /^ {2}budget +scope run {2}limit \$0\.50 {2}committed \$(\d+\.\d+) {2}reserved \$0\.00 {2}remaining \$(\d+\.\d+) {2}estimate \$(\d+\.\d+)$/m.exec(
        output,
      );
    expect(budget).not.toBeNull();
    expect(parseUsd(budget?.[3])).toBeGreaterThan(parseUsd(budget?.[2])); // the call did not fit
    expect(output).toMatch(/^ {2}alternatives {2}gpt-4\.1-nano \(up to \$\d+\.\d+\)$/m);

    // The total comes from runcap's ledger and never crosses the ceiling.
    const total =
      /^total spent: \$(\d+\.\d+) of \$(\d+\.\d+) ceiling \(runcap ledger, run demo-run, \$0\.000000 still reserved\) - within the ceiling$/m.exec(
        output,
      );
    expect(total).not.toBeNull();
    const spentMicros = parseUsd(total?.[1]);
    const ceilingMicros = parseUsd(total?.[2]);
    expect(ceilingMicros).toBe(500_000);
    expect(spentMicros).toBeLessThanOrEqual(ceilingMicros);
    expect(spentMicros).toBeGreaterThan(ceilingMicros * 0.8); // the budget was used, not just refused
    expect(spentMicros).toBe(last?.spentMicros);
    expect(spentMicros).toBe(parseUsd(budget?.[1]));
    expect(output).toMatch(
      new RegExp(
        `^calls: ${steps.length * 3} \\(\\d+ allowed, \\d+ blocked\\) in ${steps.length} steps, 1 agent-side downshift\\(s\\)$`,
        'm',
      ),
    );
  });

  it('rejects an unknown argument with exit code 2', async () => {
    let output = '';
    let errors = '';
    const code = await runDemo(['--fast'], {
      out: { write: (text: string) => (output += text) },
      err: { write: (text: string) => (errors += text) },
      tty: false,
      handleSigint: false,
    });
    expect(code).toBe(2);
    expect(output).toBe('');
    expect(errors.split('\n')[0]).toBe('runcap demo: unknown argument "--fast"');
  });
});
