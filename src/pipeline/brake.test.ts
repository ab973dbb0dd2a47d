import { describe, expect, it } from 'vitest';
import { configFileSchema } from '../config/schema.js';
import { resolveConfig } from '../config/resolve.js';
import type { ScopeView } from '../ledger/index.js';
import { brakeDecision, brakeError, brakeScope, retryAfterSeconds } from './brake.js';

const tenant = resolveConfig(configFileSchema.parse({ tenants: { default: { block_status: 409 } } }), {
  env: {},
  cwd: '/',
  pricesPath: '/prices',
}).tenants.get('default');
if (!tenant) throw new Error('no tenant');

const view = (id: string, limit: number, committed: number): ScopeView => ({
  key: `run|none|-|${id}`,
  type: 'run',
  id,
  window: 'none',
  windowStartMs: null,
  mode: 'hard_gate',
  limitMicros: limit,
  committedMicros: committed,
  reservedMicros: 0,
  availableMicros: limit - committed,
});
const views = [view('child', 5_000_000, 100), view('parent', 9_000_000, 4_000_000)];
const base = {
  tenant,
  runId: 'child',
  views,
  amountMicros: 300_000,
  maxOutputTokens: 1000,
  clientMaxOutputTokens: null,
  priceTableVersion: 'v1',
};

describe('brake refusals', () => {
  it('Retry-After is whole seconds, rounded up, at least one', () => {
    expect([0, 1, 999, 1000, 1001, 60_500].map(retryAfterSeconds)).toEqual([1, 1, 1, 1, 2, 61]);
  });

  it('velocity: a 429 throttle worth retrying, naming the run whose window is full', () => {
    const brake = {
      kind: 'velocity',
      runId: 'parent',
      limitMicros: 1_000_000,
      spentMicros: 800_000,
      retryAfterMs: 12_300,
    } as const;
    const error = brakeError({ ...base, brake });
    expect(brakeDecision(brake)).toBe('throttle');
    expect(brakeScope(brake, views)?.id).toBe('parent');
    expect(error.status).toBe(429);
    expect(error.code).toBe('run_velocity_exceeded');
    expect(error.extra.retryAfterSeconds).toBe(13);
    expect(error.message).toContain('parent run "parent"');
    expect(error.extra.members).toMatchObject({
      velocity: {
        run_id: 'parent',
        limit_usd_per_minute: '1.00',
        spent_last_minute_usd: '0.80',
        retry_after_seconds: 13,
      },
      budget: { scope: 'run', run_id: 'child', limit_usd: '5.00', committed_usd: '0.0001', estimate_usd: '0.30' },
    });
  });

  it('velocity: a hold that can never fit is not worth retrying', () => {
    const brake = {
      kind: 'velocity',
      runId: 'child',
      limitMicros: 100_000,
      spentMicros: 0,
      retryAfterMs: null,
    } as const;
    const error = brakeError({ ...base, brake });
    expect(error.status).toBe(429);
    expect(error.extra.retryAfterSeconds).toBeUndefined();
    expect(error.message).toContain('waiting will not help');
  });

  it("loop: a block at the tenant's block status", () => {
    const brake = { kind: 'loop', runId: 'child', repeats: 5, maxRepeats: 4 } as const;
    const error = brakeError({ ...base, brake });
    expect(brakeDecision(brake)).toBe('block');
    expect(error.status).toBe(409);
    expect(error.code).toBe('run_loop_detected');
    expect(error.message).toContain('6 times in a row');
    expect(error.extra.members).toMatchObject({ loop: { run_id: 'child', repeats: 5, max_repeated_steps: 4 } });
  });
});
