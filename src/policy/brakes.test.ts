import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/resolve.js';
import { configFileSchema } from '../config/schema.js';
import { loopBrakeOn, runBrakes } from './brakes.js';

function tenantWith(run: Record<string, unknown>) {
  const file = configFileSchema.parse({ tenants: { default: { run } } });
  const tenant = resolveConfig(file, { env: {}, cwd: '/', pricesPath: '/prices' }).tenants.get('default');
  if (!tenant) throw new Error('no tenant');
  return tenant;
}

describe('runBrakes', () => {
  it('carries nothing when the tenant sets no brake (the default)', () => {
    const tenant = tenantWith({});
    expect(loopBrakeOn(tenant)).toBe(false);
    expect(runBrakes(tenant, 'r1', 'abc')).toBeUndefined();
  });

  it('velocity from max_usd_per_minute; loop from max_repeated_steps when the call has a step', () => {
    const tenant = tenantWith({ max_usd_per_minute: '1.50', max_repeated_steps: 4 });
    expect(loopBrakeOn(tenant)).toBe(true);
    expect(runBrakes(tenant, 'r1', 'abc')).toEqual({
      velocity: { limitMicros: 1_500_000 },
      loop: { runId: 'r1', stepHash: 'abc', maxRepeats: 4 },
    });
    expect(runBrakes(tenant, 'r1', null)).toEqual({ velocity: { limitMicros: 1_500_000 } });
    expect(runBrakes(tenantWith({ max_repeated_steps: 2 }), 'r1', null)).toBeUndefined();
  });

  it('refuses a zero or malformed limit at start-up', () => {
    for (const run of [{ max_usd_per_minute: '0' }, { max_usd_per_minute: '-1' }, { max_repeated_steps: 0 }]) {
      expect(configFileSchema.safeParse({ tenants: { default: { run } } }).success).toBe(false);
    }
  });
});
