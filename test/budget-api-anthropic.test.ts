// E2E: the budget API for Anthropic callers. A passthrough key sent as `x-api-key` is checked
// with Anthropic (never sent to OpenAI) and owns the runs it creates on /v1/messages too; a
// virtual key bound to an anthropic upstream uses the budget API in a runcap with no OpenAI key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth.js';
import { api } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const VIRTUAL_KEY = 'rc-anthropic-only-virtual-key';
let fake: FakeUpstream;
let passthrough: TestRuncap;
let anthropicOnly: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  passthrough = await startRuncap({
    upstreamUrl: fake.url,
    config: { passthrough: true, tenants: { default: { run: { default_limit_usd: '1.00' } } } },
  });
  anthropicOnly = await startRuncap({
    upstreamUrl: fake.url,
    // No OPENAI key in the environment: only the anthropic upstream has runcap's own key.
    config: {
      passthrough: false,
      tenants: { default: { run: { default_limit_usd: '1.00' } } },
      keys: [{ id: 'k_claude', sha256: sha256Hex(VIRTUAL_KEY), upstream: 'anthropic' }],
      upstreams: { openai: { base_url: `${fake.url}/v1`, api_key_env: 'RUNCAP_TEST_NO_SUCH_KEY' } },
    },
  });
});
afterAll(async () => {
  await passthrough.stop();
  await anthropicOnly.stop();
  await fake.close();
});

function message(url: string, headers: Record<string, string>, runId: string): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-run-id': runId, ...headers },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }),
  });
}

describe('the budget API with Anthropic keys', () => {
  it('checks a passthrough x-api-key with Anthropic, never OpenAI, and the run it creates is the same principal’s', async () => {
    fake.clearRequests();
    const key = 'sk-ant-budget-erin';
    const created = await api(passthrough.url, 'POST', '/budget/runs', {
      headers: { 'x-api-key': key },
      body: { id: 'anth-budget-run', limit_usd: '0.50' },
    });
    expect(created.status).toBe(201);
    const check = fake.requests.find((request) => request.path.endsWith('/models'));
    expect(check?.method).toBe('GET');
    expect(check?.path).toBe('/v1/models');
    expect(check?.headers['x-api-key']).toBe(key);
    expect(check?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(check?.headers.authorization).toBeUndefined();

    const call = await message(passthrough.url, { 'x-api-key': key }, 'anth-budget-run');
    expect(call.status).toBe(200);
    const report = await api<{ limit_usd: string; calls?: number }>(
      passthrough.url,
      'GET',
      '/budget/runs/anth-budget-run',
      {
        headers: { 'x-api-key': key },
      },
    );
    expect(report.status).toBe(200);
    expect(report.body.limit_usd).toBe('0.50');
    // Another Anthropic key does not see it.
    const other = await api(passthrough.url, 'GET', '/budget/runs/anth-budget-run', {
      headers: { 'x-api-key': 'sk-ant-budget-frank' },
    });
    expect(other.status).toBe(404);
  });

  it('serves a virtual key bound to the anthropic upstream when runcap has no OpenAI key', async () => {
    const call = await message(anthropicOnly.url, { 'x-api-key': VIRTUAL_KEY }, 'anth-virtual-run');
    expect(call.status).toBe(200);
    const both: Record<string, string>[] = [{ 'x-api-key': VIRTUAL_KEY }, { authorization: `Bearer ${VIRTUAL_KEY}` }];
    for (const headers of both) {
      const listed = await api<{ runs: { id: string }[] }>(anthropicOnly.url, 'GET', '/budget/runs', { headers });
      expect(listed.status).toBe(200);
      expect(listed.body.runs.map((run) => run.id)).toContain('anth-virtual-run');
      const calls = await api(anthropicOnly.url, 'GET', '/budget/runs/anth-virtual-run/calls', { headers });
      expect(calls.status).toBe(200);
    }
  });
});
