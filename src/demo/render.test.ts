// The demo renderer: plain output has no ANSI codes; the TTY view redraws one bar line that
// fits 80 columns and clears it before the summary.
import { describe, expect, it } from 'vitest';
import type { CallResult } from './agent.js';
import { createRenderer, type DemoRenderer } from './render.js';

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const call = (decision: string, promptTokens: number): CallResult => ({
  worker: 0,
  model: 'gpt-4.1-mini',
  decision,
  remainingMicros: null,
  promptTokens,
  completionTokens: 30,
  streamed: false,
  problem: null,
});

function script(render: DemoRenderer): void {
  render.intro({
    providerUrl: 'http://127.0.0.1:1/v1',
    runcapUrl: 'http://127.0.0.1:2/v1',
    ledger: 'sqlite :memory:',
    runId: 'demo-run',
    ceilingMicros: 500_000,
    parallel: 3,
    primaryModel: 'gpt-4.1',
    cheaperModel: 'gpt-4.1-mini',
    downshiftBelowPercent: 30,
  });
  render.calling(12, 'gpt-4.1-mini');
  render.step({
    step: 12,
    model: 'gpt-4.1-mini',
    calls: [call('allow', 23_254), call('allow', 23_254), call('allow', 23_260)],
    stepCostMicros: 28_104,
    spentMicros: 465_587,
  });
  render.downshift(8, 'gpt-4.1', 'gpt-4.1-mini', 122_282, 150_000);
  render.summary({
    spentMicros: 496_205,
    ceilingMicros: 500_000,
    reservedMicros: 0,
    runId: 'demo-run',
    steps: 14,
    allowed: 39,
    blocked: 3,
    downshifts: 1,
  });
}

describe('demo renderer', () => {
  it('writes plain lines without escape codes off a terminal', () => {
    let text = '';
    script(createRenderer({ write: (t: string) => (text += t) }, { tty: false }));
    expect(text).not.toMatch(/\u001b/);
    expect(text).toContain(
      'step 12  gpt-4.1-mini  allow allow allow  input 23,260 tok/call  cost $0.028104  spent $0.465587 of $0.50 (93%)\n',
    );
    expect(text).toContain(
      'downgrade (agent-side) after step 8: X-Budget-Remaining-USD $0.122282 < $0.150000, switching gpt-4.1 -> gpt-4.1-mini\n',
    );
    expect(text).toContain(
      'total spent: $0.496205 of $0.50 ceiling (runcap ledger, run demo-run, $0.000000 still reserved) - within the ceiling\n',
    );
  });

  it('on a terminal, colors decisions and redraws a bar that fits 80 columns', () => {
    const writes: string[] = [];
    script(createRenderer({ write: (t: string) => writes.push(t) }, { tty: true }));
    const text = writes.join('');
    expect(text).toContain('\u001b[32mallow');
    const redraws = writes.filter((w) => w.startsWith('\r\u001b[2K'));
    expect(redraws.length).toBeGreaterThanOrEqual(3);
    // The bar is the text after the last newline of each write; it must never wrap.
    const bars = writes
      .map((w) =>
        w
          .slice(w.lastIndexOf('\n') + 1)
          .replace(ANSI, '')
          .replace('\r', ''),
      )
      .filter((b) => b.includes('of $0.50'));
    expect(bars.length).toBeGreaterThanOrEqual(3);
    for (const bar of bars) expect([...bar].length).toBeLessThan(80);
    expect(bars.at(-1)).toContain('$0.465587 of $0.50 (93%)');
    // The summary leaves no live bar behind: the output ends with a newline.
    expect(text.endsWith('downshift(s)\n')).toBe(true);
  });
});
