// E2E (issue 11 item 7): the header policy over real sockets. Hop-by-hop headers and those a
// message names in `Connection`, cookies and client-address headers never cross runcap; a
// virtual-key caller sends only allow-listed headers and never sees the shared provider
// account's headers (organization, project, rate-limit counters, cookies).
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const VIRTUAL_KEY = 'rc-virtual-headers-key';
const ACCOUNT_HEADERS = {
  'set-cookie': ['__cf_bm=abc; path=/; HttpOnly; Secure', '_cfuvid=def; path=/'],
  'openai-organization': 'org-shared-account',
  'openai-project': 'proj_shared',
  'x-ratelimit-remaining-tokens': '149984',
  'alt-svc': 'h3=":443"; ma=86400',
  'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
  'openai-processing-ms': '42',
};
const CLIENT_ADDRESS = {
  Cookie: 'session=secret-session',
  'X-Forwarded-For': '203.0.113.7',
  Forwarded: 'for=203.0.113.7;proto=https',
  'X-Real-IP': '203.0.113.7',
  'X-Forwarded-Host': 'runcap.example',
  'X-Forwarded-Proto': 'https',
};

let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream({ responseHeaders: ACCOUNT_HEADERS });
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: {
      passthrough: true,
      keys: [{ id: 'k_virtual', sha256: createHash('sha256').update(VIRTUAL_KEY).digest('hex') }],
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
beforeEach(() => fake.clearRequests());

const hello = [{ role: 'user' as const, content: 'Hello' }];

function sdk(key: string, headers: Record<string, string>): OpenAI {
  return new OpenAI({ baseURL: runcap.baseURL, apiKey: key, maxRetries: 0, defaultHeaders: headers });
}

/** A raw HTTP/1.1 call, for the headers fetch refuses to send (Connection). */
function rawPost(
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const url = new URL(path, runcap.url);
  const bytes = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': bytes.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

describe('headers from the caller to the provider', () => {
  it('drops cookies and client-address headers for a passthrough caller, and keeps its own account headers', async () => {
    await sdk('sk-passthrough-headers', {
      ...CLIENT_ADDRESS,
      'OpenAI-Organization': 'org-callers-own',
      'X-Custom-Trace': 'kept',
    }).chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 10 });
    const sent = fake.requests[0]?.headers ?? {};
    for (const name of Object.keys(CLIENT_ADDRESS)) expect(sent[name.toLowerCase()]).toBeUndefined();
    // The passthrough caller's own account: it may pick its own organization.
    expect(sent['openai-organization']).toBe('org-callers-own');
    expect(sent['x-custom-trace']).toBe('kept');
    expect(sent.authorization).toBe('Bearer sk-passthrough-headers');
  });

  it('never forwards a header the client names in Connection', async () => {
    const response = await rawPost(
      '/v1/chat/completions',
      {
        authorization: 'Bearer sk-passthrough-headers',
        connection: 'keep-alive, X-Hop-Secret',
        'x-hop-secret': 'for-runcap-only',
      },
      { model: 'gpt-4o-mini', messages: hello, max_tokens: 10 },
    );
    expect(response.status).toBe(200);
    const sent = fake.requests[0]?.headers ?? {};
    expect(sent['x-hop-secret']).toBeUndefined();
  });

  it('sends only allow-listed headers for a virtual key: no organization or project switch on the shared account', async () => {
    await sdk(VIRTUAL_KEY, {
      ...CLIENT_ADDRESS,
      'OpenAI-Organization': 'org-someone-elses',
      'OpenAI-Project': 'proj_someone_elses',
      'X-Custom-Trace': 'dropped',
      'OpenAI-Beta': 'assistants=v2',
    }).chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 10 });
    const sent = fake.requests[0]?.headers ?? {};
    expect(sent.authorization).toBe('Bearer sk-provider-secret');
    expect(sent['openai-organization']).toBeUndefined();
    expect(sent['openai-project']).toBeUndefined();
    expect(sent['x-custom-trace']).toBeUndefined();
    for (const name of Object.keys(CLIENT_ADDRESS)) expect(sent[name.toLowerCase()]).toBeUndefined();
    // What the SDKs need still reaches the provider.
    expect(sent['openai-beta']).toBe('assistants=v2');
    expect(sent['user-agent']).toMatch(/OpenAI/);
    expect(sent['x-stainless-lang']).toBe('js');
  });
});

describe('headers from the provider to the caller', () => {
  it('never returns cookies, HSTS or Alt-Svc of the provider origin, even to a passthrough caller', async () => {
    const { response } = await sdk('sk-passthrough-headers', {})
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 10 })
      .withResponse();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('alt-svc')).toBeNull();
    expect(response.headers.get('strict-transport-security')).toBeNull();
    // Its own account's headers: the passthrough caller's business.
    expect(response.headers.get('openai-organization')).toBe('org-shared-account');
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe('149984');
    expect(response.headers.get('x-budget-decision')).toBe('allow');
  });

  it('never returns a header the provider names in Connection', async () => {
    fake.configure({
      responseHeaders: { ...ACCOUNT_HEADERS, connection: 'keep-alive, X-Upstream-Hop', 'x-upstream-hop': '1' },
    });
    try {
      const response = await rawPost(
        '/v1/chat/completions',
        { authorization: 'Bearer sk-passthrough-headers' },
        { model: 'gpt-4o-mini', messages: hello, max_tokens: 10 },
      );
      expect(response.status).toBe(200);
      expect(fake.requests[0]?.headers['x-hop-secret']).toBeUndefined();
      expect(response.headers['x-upstream-hop']).toBeUndefined();
      expect(response.headers['openai-processing-ms']).toBe('42');
    } finally {
      fake.configure({ responseHeaders: ACCOUNT_HEADERS });
    }
  });

  it('hides the shared account from a virtual key, streaming or not, and keeps what the SDKs need', async () => {
    const client = sdk(VIRTUAL_KEY, {});
    const plain = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 10 })
      .withResponse();
    const streamed = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 10, stream: true })
      .withResponse();
    for await (const chunk of streamed.data) void chunk;
    for (const headers of [plain.response.headers, streamed.response.headers]) {
      for (const name of [
        'set-cookie',
        'openai-organization',
        'openai-project',
        'x-ratelimit-remaining-tokens',
        'alt-svc',
        'strict-transport-security',
      ])
        expect(headers.get(name), name).toBeNull();
      expect(headers.get('x-request-id')).toMatch(/^req_fake/);
      expect(headers.get('openai-processing-ms')).toBe('42');
      expect(headers.get('x-budget-decision')).toBe('allow');
    }
  });

  it('applies the same policy to GET /v1/models', async () => {
    const virtual = await fetch(`${runcap.baseURL}/models`, {
      headers: { authorization: `Bearer ${VIRTUAL_KEY}`, cookie: 'a=b', 'openai-organization': 'org-x' },
    });
    expect(virtual.status).toBe(200);
    expect(virtual.headers.get('openai-organization')).toBeNull();
    expect(virtual.headers.get('set-cookie')).toBeNull();
    const sent = fake.requests[0]?.headers ?? {};
    expect(sent.cookie).toBeUndefined();
    expect(sent['openai-organization']).toBeUndefined();
  });
});
