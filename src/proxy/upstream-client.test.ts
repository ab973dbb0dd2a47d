// The upstream client sends a URL it has seen before exactly as it sent it the first time
// (undici's request(url) the first time, the agent with the remembered origin and path after).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamClient, targetOf } from './upstream.js';

let server: Server;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.headers.host ?? ''} ${req.url ?? ''}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('upstream client', () => {
  it('sends a URL the second time as it did the first', async () => {
    const client = createUpstreamClient();
    const paths = [
      '/v1/chat/completions',
      '/v1/chat/completions?beta=true',
      '/v1/responses/resp%2F1?include[]=a b"<>&x=%zz',
      '/proxy/v1/../v1/./embeddings',
      '/v1/caf\u00e9?q=\u00e9\u6f22',
    ];
    for (const path of paths) {
      for (let i = 0; i < 2; i += 1) {
        const response = await client.send({
          url: base + path,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
          signal: new AbortController().signal,
          headersTimeoutMs: 5_000,
          bodyTimeoutMs: 5_000,
        });
        expect(response.statusCode).toBe(200);
        await response.body.text();
      }
      const [first, second] = seen.splice(0);
      expect(second).toBe(first);
      expect(first).toBe(`POST ${base.slice('http://'.length)} ${targetOf(base + path).path}`);
    }
    await client.close();
  });

  it('fails a URL undici refuses the same way every time', async () => {
    const client = createUpstreamClient();
    const send = () =>
      client.send({
        url: 'ftp://127.0.0.1/v1/chat/completions',
        method: 'GET',
        headers: {},
        body: null,
        signal: new AbortController().signal,
        headersTimeoutMs: 1_000,
        bodyTimeoutMs: 1_000,
      });
    await expect(send()).rejects.toThrow(/protocol/);
    await expect(send()).rejects.toThrow(/protocol/);
    await client.close();
  });
});
