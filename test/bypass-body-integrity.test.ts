// Issue 11 item 6, over real sockets: the body runcap prices must be the body the provider runs.
// runcap forwards the client's bytes as they are, so bytes that two JSON parsers read differently
// are a bypass: with duplicate keys JSON.parse keeps the last and this fake upstream (like
// simdjson-style servers) the first; invalid UTF-8 decodes differently from one server to the next.
// The fake bills whatever it parsed; the test prices the fake's invoice from that.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

let fake: FakeUpstream;
let runcap: TestRuncap;

/** The fake bills a token per word of the messages it parsed (first of duplicate keys). */
const wordsOf = (body: Record<string, unknown>): number =>
  JSON.stringify(body['messages'] ?? '')
    .split(/\s+/)
    .filter(Boolean).length;

beforeAll(async () => {
  fake = await startFakeUpstream({ duplicateKeys: 'first', outputTokens: 1_000, promptTokens: wordsOf });
  runcap = await startRuncap({ upstreamUrl: fake.url });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
afterEach(() => fake.clearRequests());

/** USD per 1M tokens (input, output) of the models these tests name. */
const PRICES: Record<string, readonly [number, number]> = {
  o1: [15, 60],
  'gpt-4.1-nano': [0.1, 0.4],
  'gpt-4.1': [2, 8],
};

/** What the provider invoices for the calls it ran, at the price of the model IT read. */
function invoiceMicros(): number {
  return fake.requests.reduce((sum, request) => {
    const body = request.body as Record<string, unknown>;
    const [input, output] = PRICES[String(body['model'])] ?? [0, 0];
    const cap = Number(body['max_completion_tokens'] ?? Infinity);
    return sum + Math.ceil(wordsOf(body) * input + Math.min(1_000, cap) * output);
  }, 0);
}
const spent = async (runId: string): Promise<number> =>
  (await runcap.store.runs.get('default', runId)) === null ? 0 : (await runView(runcap, runId)).committedMicros;

async function send(runId: string, body: string | Buffer): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${runcap.baseURL}/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer sk-body-integrity',
      'content-type': 'application/json',
      'x-run-id': runId,
      'x-run-budget-usd': '0.05',
    },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('the body priced is the body sent', () => {
  it('refuses a duplicate "model": priced as gpt-4.1-nano, run as o1 by a first-key upstream', async () => {
    const body =
      '{"model":"o1","messages":[{"role":"user","content":"Prove it"}],"max_completion_tokens":1000,"model":"gpt-4.1-nano"}';
    const { status, json } = await send('run-dup-model', body);
    // Money first: what the provider invoices never exceeds what runcap charged (old main: $0.06 vs $0.0004).
    expect(await spent('run-dup-model')).toBeGreaterThanOrEqual(invoiceMicros());
    expect(fake.requests).toHaveLength(0);
    expect(status).toBe(400);
    expect(json).toMatchObject({ code: 'invalid_request', error: { code: 'invalid_request' } });
    expect(String(json['detail'])).toContain('"model" twice');
  });

  it('refuses a duplicate key deep in the messages (a 50,000-word content hidden behind "hi")', async () => {
    const big = JSON.stringify(' word'.repeat(50_000));
    const body = `{"model":"gpt-4.1","max_completion_tokens":100,"messages":[{"role":"user","content":${big},"content":"hi"}]}`;
    const { status } = await send('run-dup-content', body);
    // The run's $0.05 ceiling holds (old main: $0.10 committed), and runcap charged all the provider ran.
    expect(await spent('run-dup-content')).toBeLessThanOrEqual(50_000);
    expect(await spent('run-dup-content')).toBeGreaterThanOrEqual(invoiceMicros());
    expect(fake.requests).toHaveLength(0);
    expect(status).toBe(400);
  });

  it('refuses invalid UTF-8, which servers decode differently', async () => {
    const body = Buffer.concat([
      Buffer.from('{"model":"gpt-4.1","max_completion_tokens":100,"messages":[{"role":"user","content":"'),
      Buffer.alloc(2_000, 0xff),
      Buffer.from('"}]}'),
    ]);
    const { status, json } = await send('run-bad-utf8', body);
    expect(await spent('run-bad-utf8')).toBe(0);
    expect(fake.requests).toHaveLength(0);
    expect(status).toBe(400);
    expect(String(json['detail'])).toContain('UTF-8');
  });

  it('forwards an ordinary body byte for byte (escapes, unicode, a __proto__ key), priced as sent', async () => {
    const body =
      '{ "model" : "gpt-4.1-nano", "messages":[{"role":"user","content":"caf\\u00e9 — \\ud83d\\ude00"}],\n' +
      ' "metadata": {"__proto__": {"model": "o1"}}, "max_completion_tokens": 50 }';
    const { status } = await send('run-ordinary', body);
    expect(status).toBe(200);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.rawBody).toBe(body);
    expect(await spent('run-ordinary')).toBe(invoiceMicros());
  });
});
