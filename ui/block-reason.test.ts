import { describe, expect, it } from 'vitest';
import { blockReason } from './block-reason.js';

const runScope = {
  type: 'run',
  id: 'agent-7',
  window: 'none',
  limit_usd: '0.05',
  committed_usd: '0.049',
  reserved_usd: '0.00',
  remaining_usd: '0.001',
};

describe('blockReason', () => {
  it('names the ceiling that did not fit, with its figures and the worst case of the call', () => {
    expect(
      blockReason({ code: 'run_ceiling_reached', blocking_scope: runScope, brake: null, alternatives: [] }, '0.0123'),
    ).toBe(
      'Run ceiling reached (run agent-7): $0.049 spent and $0.00 held of $0.05; ' +
        "this call's worst case, $0.0123, did not fit.",
    );
    expect(
      blockReason(
        {
          code: 'key_ceiling_reached',
          blocking_scope: { ...runScope, type: 'key', id: 'key_1', window: '1d' },
          brake: null,
          alternatives: [],
        },
        null,
      ),
    ).toBe('Key ceiling reached (key key_1, 1d window): $0.049 spent and $0.00 held of $0.05; this call did not fit.');
    expect(
      blockReason(
        { code: 'parent_run_ceiling_reached', blocking_scope: runScope, brake: null, alternatives: [] },
        null,
      ),
    ).toMatch(/^Parent run ceiling reached \(run agent-7\)/);
  });

  it('explains the runaway brakes', () => {
    expect(
      blockReason(
        {
          code: 'run_loop_detected',
          blocking_scope: null,
          brake: { kind: 'loop', run_id: 'r', repeats: 4, max_repeated_steps: 3 },
          alternatives: [],
        },
        '0.01',
      ),
    ).toBe('Loop brake: this call would have repeated the same step 4 times in a row (run r allows 3).');
    expect(
      blockReason(
        {
          code: 'run_velocity_exceeded',
          blocking_scope: null,
          brake: {
            kind: 'velocity',
            run_id: 'r',
            limit_usd_per_minute: '0.50',
            spent_last_minute_usd: '0.48',
            retry_after_ms: 2100,
          },
          alternatives: [],
        },
        '0.05',
      ),
    ).toBe('Velocity brake: run r spent $0.48 in the last minute of $0.50 allowed per minute; it fits again in 3 s.');
  });
});
