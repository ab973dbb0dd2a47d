// E2E: a coding agent's session id is its run (docs/design.md §2). A call without X-Run-Id takes
// its run id from the first of the tenant's run.id_headers it carries (Claude Code's
// x-claude-code-session-id, the Codex CLI's session-id), bound to the principal exactly like
// X-Run-Id: another principal sending the same session id gets 403 run_principal_mismatch and
// touches nothing. X-Run-Id still wins. The session header itself is the client's and goes on to
// the provider.
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { passthroughKeyId } from '../src/auth.js';
import { chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const KEY = 'sk-sessions-alice';
const OTHER_KEY = 'sk-sessions-mallory';
/** gpt-4o-mini, the fake's default usage: 10 prompt x $0.15/1M + 20 output x $0.60/1M, rounded up. */
const CALL_MICROS = 14;
let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: {
      tenants: {
        default: { run: { default_limit_usd: '1.00', max_limit_usd: '5.00' } },
        // A tenant that turned session run ids off, reached through a virtual key.
        plain: { run: { id_headers: [] } },
      },
      keys: [{ id: 'k_plain', sha256: sha256Hex('rc-plain-key'), tenant: 'plain' }],
      passthrough: true,
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
beforeEach(() => fake.clearRequests());

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What the Codex CLI looks like to runcap: an openai client that sends `session-id` on every call. */
function codexLike(sessionId: string, key = KEY, extra: Record<string, string> = {}): OpenAI {
  return new OpenAI({
    baseURL: runcap.baseURL,
    apiKey: key,
    maxRetries: 0,
    defaultHeaders: { 'session-id': sessionId, ...extra },
  });
}

const ask = (client: OpenAI) =>
  client.responses
    .create({ model: 'gpt-4o-mini', input: 'Hello', max_output_tokens: 100 })
    .withResponse()
    .then(({ response }) => response);

describe('a session header names the run', () => {
  it("makes an openai SDK client's calls with one session-id one run, charged exactly", async () => {
    const session = '0199a3c4-5e6f-7a8b-9c0d-e1f2a3b4c5d6';
    const client = codexLike(session);
    const first = await ask(client);
    expect(first.headers.get('x-run-id')).toBe(session);
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello again' }],
      max_tokens: 100,
      stream: true,
    });
    for await (const chunk of stream) expect(chunk.object).toBe('chat.completion.chunk');

    const run = await runcap.store.runs.get('default', session);
    expect(run).toMatchObject({ runId: session, keyId: passthroughKeyId(KEY), limitMicros: 1_000_000 });
    // The Responses call's usage is the fake's default too: both calls on the one run, to the micro.
    expect(await runView(runcap, session)).toMatchObject({ committedMicros: 2 * CALL_MICROS, reservedMicros: 0 });
    // The session id is the client's own header: the provider still gets it.
    expect(fake.requests.map((request) => request.headers['session-id'])).toEqual([session, session]);
  });

  it("prefers Claude Code's header to the Codex CLI's, and X-Run-Id to both", async () => {
    const both = await chat(runcap.url, KEY, null, {
      headers: { 'session-id': 'sess-codex-1', 'x-claude-code-session-id': 'sess-claude-1' },
    });
    expect(both.headers.get('x-run-id')).toBe('sess-claude-1');
    expect(await runcap.store.runs.get('default', 'sess-codex-1')).toBeNull();

    const named = await chat(runcap.url, KEY, 'sess-explicit', {
      headers: { 'session-id': 'sess-codex-2', 'x-claude-code-session-id': 'sess-claude-2' },
    });
    expect(named.headers.get('x-run-id')).toBe('sess-explicit');
    expect(await runView(runcap, 'sess-explicit')).toMatchObject({ committedMicros: CALL_MICROS });
    expect(await runcap.store.runs.get('default', 'sess-claude-2')).toBeNull();
    expect(await runcap.store.runs.get('default', 'sess-codex-2')).toBeNull();
  });

  it('takes X-Run-Budget-USD on the first call of the session as its ceiling, and refuses past it', async () => {
    const client = codexLike('sess-ceiling', KEY, { 'x-run-budget-usd': '0.000100' });
    expect((await ask(client)).status).toBe(200);
    expect(await runcap.store.runs.get('default', 'sess-ceiling')).toMatchObject({ limitMicros: 100 });
    const refused = await client.responses
      .create({ model: 'gpt-4o-mini', input: 'Hello', max_output_tokens: 1_000 })
      .then(() => null)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    const apiError = refused as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(402);
    expect(apiError.headers?.get('x-run-id')).toBe('sess-ceiling');
    expect(apiError.error).toMatchObject({ code: 'run_ceiling_reached' });
    expect(fake.requests).toHaveLength(1);
  });

  it("refuses another principal's calls on a session's run with 403, and they touch nothing", async () => {
    const session = 'sess-owned-by-alice';
    await ask(codexLike(session));
    const before = await runView(runcap, session);
    const intruder = codexLike(session, OTHER_KEY);
    const refused = await intruder.responses
      .create({ model: 'gpt-4o-mini', input: 'Hello', max_output_tokens: 100 })
      .then(() => null)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    const apiError = refused as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(403);
    expect(apiError.error).toMatchObject({ code: 'run_principal_mismatch', param: 'session-id' });
    expect(await runView(runcap, session)).toEqual(before);
    expect(await runcap.store.runs.get('default', session)).toMatchObject({ keyId: passthroughKeyId(KEY) });
    expect(fake.requests).toHaveLength(1);
    // The other principal's own session, by X-Run-Id or its own session id, is unaffected.
    expect((await ask(codexLike('sess-owned-by-mallory', OTHER_KEY))).status).toBe(200);
  });

  it('refuses a session id that cannot be a run id with 400 naming the header, before the provider', async () => {
    const refused = await chat(runcap.url, KEY, null, {
      headers: { 'x-claude-code-session-id': 'has spaces/and slash' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'invalid_run_id', error: { param: 'x-claude-code-session-id' } });
    expect(fake.requests).toHaveLength(0);
  });

  it('issues a run per call for a tenant whose run.id_headers is empty', async () => {
    const first = await chat(runcap.url, 'rc-plain-key', null, { headers: { 'session-id': 'sess-plain' } });
    const second = await chat(runcap.url, 'rc-plain-key', null, { headers: { 'session-id': 'sess-plain' } });
    expect(first.status).toBe(200);
    const ids = [first.headers.get('x-run-id'), second.headers.get('x-run-id')];
    expect(ids[0]).toMatch(/^run_[0-9A-Z]{26}$/);
    expect(ids[1]).toMatch(/^run_[0-9A-Z]{26}$/);
    expect(ids[0]).not.toBe(ids[1]);
    expect(await runcap.store.runs.get('plain', 'sess-plain')).toBeNull();
  });
});
