// ClientGone as undici reads an abort signal: aborting before the response cancels the request
// with the reason given, aborting mid-body breaks the body, an aborted signal sends nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientGone } from './client-gone.js';

let server: Server;
let url: string;
let served = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    served += 1;
    if (req.url === '/slow') return; // never answers
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first part');
    // The rest never comes.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('ClientGone', () => {
  it('cancels a request waiting for its response, with the reason it was given', async () => {
    const signal = new ClientGone();
    const pending = request(`${url}/slow`, { signal });
    setTimeout(() => signal.abort(new Error('client left')), 20);
    await expect(pending).rejects.toThrow('client left');
    expect(signal.aborted).toBe(true);
  });

  it('breaks a response body that is still arriving', async () => {
    const signal = new ClientGone();
    const response = await request(`${url}/partial`, { signal });
    expect(response.statusCode).toBe(200);
    setTimeout(() => signal.abort(new Error('client left mid-body')), 20);
    await expect(response.body.text()).rejects.toThrow('client left mid-body');
  });

  it('sends nothing when already aborted, and keeps its first reason', async () => {
    const signal = new ClientGone();
    signal.abort(new Error('first'));
    signal.abort(new Error('second'));
    expect((signal.reason as Error).message).toBe('first');
    const before = served;
    await expect(request(`${url}/slow`, { signal })).rejects.toThrow('first');
    expect(served).toBe(before);
  });

  it('emits abort once', () => {
    const signal = new ClientGone();
    let heard = 0;
    signal.on('abort', () => (heard += 1));
    signal.abort(new Error('a'));
    signal.abort(new Error('b'));
    expect(heard).toBe(1);
  });
});
