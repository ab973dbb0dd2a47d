// E2E: malformed or out-of-policy requests get a clear 4xx problem and change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: { server: { max_body_bytes: 4096 }, tenants: { default: { run: { max_limit_usd: '10.00' } } } },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

async function post(
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(`${runcap.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer sk-refusals',
      'content-type': 'application/json',
      'x-run-id': 'run-refusals',
      ...headers,
    },
    body,
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

const valid = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });

describe('refusals', () => {
  it.each([
    ['malformed JSON', '/v1/chat/completions', '{"model": ', {}, 400, 'invalid_request'],
    [
      'a negative max_tokens',
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: -1 }),
      {},
      400,
      'invalid_request',
    ],
    ['no messages', '/v1/chat/completions', JSON.stringify({ model: 'gpt-4o-mini' }), {}, 400, 'invalid_request'],
    ['a bad run id', '/v1/chat/completions', valid, { 'x-run-id': 'bad run id!' }, 400, 'invalid_run_id'],
    [
      'a run budget above the tenant maximum',
      '/v1/chat/completions',
      valid,
      { 'x-run-id': 'run-too-rich', 'x-run-budget-usd': '50.00' },
      400,
      'run_budget_above_max',
    ],
    [
      'a malformed run budget',
      '/v1/chat/completions',
      valid,
      { 'x-run-id': 'run-bad-budget', 'x-run-budget-usd': '1e3' },
      400,
      'invalid_request',
    ],
    [
      'a body over the size limit',
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
      {},
      413,
      'request_too_large',
    ],
    [
      'an endpoint runcap cannot price',
      '/v1/images/generations',
      JSON.stringify({ prompt: 'a cat' }),
      {},
      404,
      'endpoint_not_metered',
    ],
    ['no key', '/v1/chat/completions', valid, { authorization: '' }, 401, 'unauthenticated'],
  ] as const)(
    '%s: answers a problem, forwards nothing, holds nothing',
    async (_name, path, body, headers, status, code) => {
      const before = fake.requests.length;
      const response = await post(path, body, headers);
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.json).toMatchObject({ status, code, error: { code } });
      expect(typeof response.json.detail).toBe('string');
      expect(fake.requests.length).toBe(before);
      if (status !== 401) expect(response.headers.get('x-should-retry')).toBe('false');
    },
  );

  it('leaves no run and no hold behind after refusals', async () => {
    for (const id of ['run-refusals', 'run-too-rich', 'run-bad-budget']) {
      expect(await runcap.store.runs.get('default', id)).toBeNull();
    }
  });
});
