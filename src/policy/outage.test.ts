import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { failsOpen, onlyAdvisory } from './outage.js';

const tenantWith = (env: Record<string, string>, file?: string) => {
  const config = loadConfig({ argv: file ? ['--config', file] : [], env, cwd: process.cwd() });
  const tenant = config.tenants.get('default');
  if (!tenant) throw new Error('no default tenant');
  return tenant;
};

describe('ledger outage policy', () => {
  it('fails closed by default for blocking modes', () => {
    expect(failsOpen(tenantWith({}))).toBe(false);
    expect(failsOpen(tenantWith({ RUNCAP_MODE: 'actuals_only' }))).toBe(false);
  });

  it('fails open for advisory tenants', () => {
    const tenant = tenantWith({ RUNCAP_MODE: 'advisory_estimate' });
    expect(onlyAdvisory(tenant)).toBe(true);
    expect(failsOpen(tenant)).toBe(true);
  });
});
