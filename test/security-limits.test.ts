// E2E (issue 11 item 8): what a caller without a key, or a slow or greedy client, can make
// runcap do is bounded. An unknown key is refused before its body is read; a client that is
// slow to send its headers or its body is cut; connections are capped; a slow provider
// answer is not mistaken for a slow client.
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const VIRTUAL_KEY = 'rc-limits-virtual-key';
let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await fake.close();
});

/** Starts a chunked POST, writes one chunk, and resolves with the status (or 'no answer' after `waitMs`). */
function postWithOpenBody(url: string, headers: Record<string, string>, waitMs: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      },
    );
    req.on('error', () => resolve('error'));
    req.write(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"${'x'.repeat(16 * 1024)}`);
    setTimeout(() => {
      resolve('no answer');
      req.destroy();
    }, waitMs).unref();
  });
}

/** Resolves with how long the server kept a raw socket open after `send` (or 'open' after `waitMs`). */
function socketLifetime(port: number, send: (socket: Socket) => void, waitMs: number): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => send(socket));
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Date.now() - started));
    setTimeout(() => {
      resolve('open');
      socket.destroy();
    }, waitMs).unref();
  });
}

describe('an unknown key when passthrough is off', () => {
  let runcap: TestRuncap;
  beforeAll(async () => {
    runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: {
        passthrough: false,
        keys: [{ id: 'k_limits', sha256: createHash('sha256').update(VIRTUAL_KEY).digest('hex') }],
      },
    });
  });
  afterAll(() => runcap.stop());

  it('is refused 401 before runcap reads (and buffers) its body', async () => {
    const url = `${runcap.baseURL}/chat/completions`;
    // The body is never finished: an answer can only come from a check made before reading it.
    expect(await postWithOpenBody(url, { authorization: 'Bearer junk-token-0001' }, 3_000)).toBe(401);
    expect(await postWithOpenBody(url, {}, 3_000)).toBe(401);
    expect(fake.requests.filter((r) => r.headers.authorization === 'Bearer junk-token-0001')).toHaveLength(0);
  });
});

describe('Node server limits', () => {
  let runcap: TestRuncap;
  beforeAll(async () => {
    runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: {
        server: { request_timeout: '1500ms', headers_timeout: '1s', keep_alive_timeout: '1s', max_connections: 8 },
      },
    });
  });
  afterAll(() => runcap.stop());

  it('cuts a client that never finishes its headers (server.headers_timeout)', async () => {
    const lifetime = await socketLifetime(
      runcap.server.port,
      (socket) => socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: '),
      6_000,
    );
    expect(lifetime).not.toBe('open');
    expect(lifetime).toBeLessThan(4_000);
  });

  it('cuts a client that never finishes its body (server.request_timeout), with a valid-looking key', async () => {
    const status = await postWithOpenBody(
      `${runcap.baseURL}/chat/completions`,
      { authorization: 'Bearer sk-slow-body' },
      6_000,
    );
    expect(status).toBe(408);
  });

  it('closes an idle keep-alive connection (server.keep_alive_timeout)', async () => {
    const lifetime = await socketLifetime(
      runcap.server.port,
      (socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'),
      6_000,
    );
    expect(lifetime).not.toBe('open');
    expect(lifetime).toBeLessThan(4_000);
  });

  it('does not mistake a slow provider answer for a slow client', async () => {
    const res = await fetch(`${runcap.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-patient', 'content-type': 'application/json', 'x-fake-latency-ms': '2500' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { object: string }).object).toBe('chat.completion');
  });

  it('accepts at most server.max_connections connections at once', async () => {
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const socket = connect(runcap.server.port, '127.0.0.1');
        socket.on('error', () => undefined);
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        // Start a request and keep it open (headers not finished), so each connection counts.
        socket.write('GET /healthz HTTP/1.1\r\n');
        held.push(socket);
      }
      const refused = await socketLifetime(
        runcap.server.port,
        (socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'),
        900,
      );
      expect(refused).not.toBe('open');
    } finally {
      for (const socket of held) socket.destroy();
    }
    // Once they are gone, new connections are served again.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${runcap.url}/healthz`)).status).toBe(200);
  });
});
