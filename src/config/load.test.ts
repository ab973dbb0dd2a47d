// Configuration: defaults (docs/design.md §10), precedence (flags > env > file), and errors that
// name the bad field's path and where it came from.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'runcap-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const load = (argv: string[] = [], env: Record<string, string> = {}) => loadConfig({ argv, env, cwd: dir });
const failure = (argv: string[], env: Record<string, string> = {}): string => {
  try {
    load(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('has the zero-config defaults of docs/design.md §10', () => {
    const config = load();
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8787 });
    expect(config.upstreams.get('openai')).toMatchObject({ baseUrl: 'https://api.openai.com/v1', apiKey: null });
    expect(config.ledger).toEqual({ kind: 'sqlite', path: join(dir, 'data/runcap.sqlite'), synchronous: 'NORMAL' });
    expect(config.passthrough).toBe(true);
    expect(config.retentionDays).toBe(30);
    const tenant = config.tenants.get('default');
    expect(tenant).toMatchObject({
      mode: 'hard_gate',
      downgrade: 'suggest',
      budgetClamp: false,
      blockStatus: 402,
      onLedgerDown: 'fail_closed',
    });
    expect(tenant?.run).toMatchObject({
      defaultLimitMicros: 5_000_000,
      maxLimitMicros: 100_000_000,
      idleTtlMs: 86_400_000,
      maxActivePerKey: 1000,
      idHeaders: ['x-claude-code-session-id', 'session-id'],
    });
    expect(tenant?.output).toEqual({
      defaultMaxTokens: 4096,
      maxTokens: 32768,
      onMissing: 'default',
      onAbove: 'clamp',
    });
  });

  it('lets flags win over env and env over the file', () => {
    const path = file('precedence.yaml', 'server: { port: 9001 }\ntenants: { default: { mode: soft_gate } }\n');
    expect(load(['--config', path]).server.port).toBe(9001);
    expect(load(['--config', path], { RUNCAP_PORT: '9002' }).server.port).toBe(9002);
    expect(load(['--config', path, '--port', '9003'], { RUNCAP_PORT: '9002' }).server.port).toBe(9003);
    expect(load(['--config', path], { RUNCAP_MODE: 'actuals_only' }).tenants.get('default')?.mode).toBe('actuals_only');
    expect(load([], { RUNCAP_RUN_LIMIT_USD: '2.50' }).tenants.get('default')?.run.defaultLimitMicros).toBe(2_500_000);
    expect(load([], { RUNCAP_REDIS_URL: 'redis://127.0.0.1:6379' }).ledger).toEqual({
      kind: 'redis',
      url: 'redis://127.0.0.1:6379',
    });
    expect(
      load(['--upstream-url', 'http://127.0.0.1:9/v1/'], { OPENAI_API_KEY: 'sk-x' }).upstreams.get('openai'),
    ).toMatchObject({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-x' });
  });

  it.each([
    ['a bad mode in the file', 'tenants: { default: { mode: hardest_gate } }', 'tenants.default.mode (from file'],
    ['an unknown field', 'tenants: { default: { run: { ceiling: 5 } } }', 'tenants.default.run (from file'],
    [
      'a float amount',
      'tenants: { default: { run: { default_limit_usd: 5.0 } } }',
      'tenants.default.run.default_limit_usd',
    ],
    [
      'an exponent amount',
      'tenants: { default: { soft_gate_margin_usd: "1e3" } }',
      'tenants.default.soft_gate_margin_usd',
    ],
    [
      'a default above the maximum',
      'tenants: { default: { run: { default_limit_usd: "200.00" } } }',
      'run.default_limit_usd: 200.00 is above run.max_limit_usd',
    ],
    ['a bad duration', 'tenants: { default: { run: { idle_ttl: "forever" } } }', 'tenants.default.run.idle_ttl'],
    [
      'a key of an unknown tenant',
      `keys: [{ id: k1, sha256: "${'a'.repeat(64)}", tenant: nope }]`,
      'keys.0.tenant: no tenant named "nope"',
    ],
    [
      'a virtual key whose upstream has no provider key',
      `keys: [{ id: k1, sha256: "${'a'.repeat(64)}" }]`,
      'keys.0.upstream: upstream "openai" has no provider key (set OPENAI_API_KEY)',
    ],
    [
      'a hold TTL shorter than the header timeout',
      'ledger: { reservation_ttl: 30s }',
      'ledger.reservation_ttl: 30s must outlast upstreams.openai.headers_timeout',
    ],
    [
      'a hold TTL shorter than the non-streaming response timeout',
      'ledger: { reservation_ttl: 10m }',
      'ledger.reservation_ttl: 10m must outlast upstreams.openai.response_timeout',
    ],
    [
      'a bad price override',
      'tenants: { default: { price_overrides: { my-model: { provider: x, input: "-1", output: "1", context_window: 1000, max_output_tokens: 100 } } } }',
      'my-model',
    ],
  ])('stops on %s, naming the field', (_name, yaml, expected) => {
    expect(failure(['--config', file('bad.yaml', yaml)])).toContain(expected);
  });

  it.each([
    ['["session id"]', 'id_headers.0 (from file', 'must be an HTTP header name'],
    ['[session-id, Authorization]', 'id_headers.1 (from file', 'cannot name a run: it carries a credential'],
    ['[X-Run-Budget-USD]', 'id_headers.0 (from file', "is runcap's own"],
  ])('stops on run.id_headers %s, naming the entry and why', (list, where, why) => {
    const message = failure([
      '--config',
      file('bad-id-headers.yaml', `tenants: { default: { run: { id_headers: ${list} } } }`),
    ]);
    expect(message).toContain(`tenants.default.run.${where}`);
    expect(message).toContain(why);
  });

  it('names env vars and flags as the source of a bad value', () => {
    expect(failure([], { RUNCAP_MODE: 'nope' })).toContain('tenants.default.mode (from RUNCAP_MODE)');
    expect(failure(['--port', 'eighty'])).toContain('--port: must be an integer');
    expect(failure(['--prot', '1'])).toContain('unknown flag --prot');
    expect(failure(['--config', join(dir, 'missing.yaml')])).toContain('cannot read config file');
    expect(failure(['--config', file('broken.json', '{"server": ')])).toContain('is not valid JSON');
  });

  it('lowercases run.id_headers and drops repeats; [] turns session run ids off', () => {
    const listed = file(
      'id-headers.yaml',
      'tenants: { default: { run: { id_headers: [X-Session, x-session, X-Trace] } } }',
    );
    expect(load(['--config', listed]).tenants.get('default')?.run.idHeaders).toEqual(['x-session', 'x-trace']);
    const off = file('id-headers-off.yaml', 'tenants: { default: { run: { id_headers: [] } } }');
    expect(load(['--config', off]).tenants.get('default')?.run.idHeaders).toEqual([]);
  });

  it('returns a frozen configuration', () => {
    const config = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.tenants.get('default')?.run)).toBe(true);
  });
});
