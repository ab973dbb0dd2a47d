// Threshold alert configuration (docs/design.md §12): thresholds become basis points; a bad
// threshold, URL or missing secret stops the start with the path of the bad field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'runcap-alerts-config-'));
const ENV = { HOOK_SECRET: 's3cret-value' };

function withAlerts(alerts: unknown, env: Record<string, string> = ENV) {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ tenants: { default: { alerts } } }));
  return loadConfig({ argv: ['--config', path], env, cwd: dir });
}
function failure(alerts: unknown, env: Record<string, string> = ENV): string {
  try {
    withAlerts(alerts, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
const good = { webhook_url: 'https://hooks.example/runcap', thresholds: [1.0, 0.5, 0.8], secret_env: 'HOOK_SECRET' };

describe('alerts config', () => {
  it('reads thresholds as ascending basis points and the secret from the environment', () => {
    const alerts = withAlerts(good).tenants.get('default')?.alerts;
    expect(alerts).toEqual({
      webhookUrl: 'https://hooks.example/runcap',
      thresholdsBp: [5000, 8000, 10000],
      secretEnv: 'HOOK_SECRET',
      secret: 's3cret-value',
    });
    expect(withAlerts(undefined).tenants.get('default')?.alerts).toBeNull();
    expect(withAlerts({ ...good, thresholds: [0.0001, 0.9999] }).tenants.get('default')?.alerts?.thresholdsBp).toEqual([
      1, 9999,
    ]);
  });

  it.each([
    [[0], 'tenants.default.alerts.thresholds'],
    [[1.5], 'tenants.default.alerts.thresholds'],
    [[-0.5], 'tenants.default.alerts.thresholds'],
    [[0.12345], 'tenants.default.alerts.thresholds'],
    [[0.5, 0.5], 'tenants.default.alerts.thresholds'],
    [[], 'tenants.default.alerts.thresholds'],
    [['0.5'], 'tenants.default.alerts.thresholds'],
  ])('refuses thresholds %j at start', (thresholds, path) => {
    expect(failure({ ...good, thresholds })).toContain(path);
  });

  it('refuses a bad webhook URL, a bad or unset secret variable, and unknown fields', () => {
    expect(failure({ ...good, webhook_url: 'ftp://x/y' })).toContain('tenants.default.alerts.webhook_url');
    expect(failure({ ...good, webhook_url: 'not a url' })).toContain('tenants.default.alerts.webhook_url');
    expect(failure({ ...good, secret_env: 'has space' })).toContain('tenants.default.alerts.secret_env');
    const unset = failure(good, {});
    expect(unset).toContain('tenants.default.alerts.secret_env');
    expect(unset).toContain('HOOK_SECRET');
    expect(failure({ ...good, extra: 1 })).toContain('tenants.default.alerts');
  });
});
