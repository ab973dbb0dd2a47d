// E2E (issue 17): GET /ui serves the built live view from the package itself, over real sockets:
// content types, the Content-Security-Policy (no inline script, no other origin), revalidation
// with ETags, every module the page imports present, nothing fetched from elsewhere.
import { request as httpRequest } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_DIR } from '../src/http/ui-assets.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({ upstreamUrl: fake.url });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${runcap.url}${path}`, { headers });

/** A request with the path sent as written (fetch would normalise the dots away). */
function rawGet(path: string): Promise<number> {
  const url = new URL(runcap.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /ui', () => {
  it('answers the page with a strict CSP: scripts and styles from this origin only, no inline code', async () => {
    for (const path of ['/ui', '/ui/']) {
      const response = await get(path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await response.text();
      // Every script is a module file; no inline script, event handler attribute or style attribute.
      expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="/ui/main.js">']);
      expect(html).not.toMatch(/\son[a-z]+=/i);
      expect(html).not.toMatch(/\sstyle=/i);
    }
  });

  it('serves each asset with its content type and revalidates with its ETag (304)', async () => {
    const types: Record<string, string> = {
      '/ui/main.js': 'text/javascript; charset=utf-8',
      '/ui/ui.css': 'text/css; charset=utf-8',
      '/ui/icon.svg': 'image/svg+xml',
    };
    for (const [path, type] of Object.entries(types)) {
      const first = await get(path);
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe(type);
      expect(first.headers.get('cache-control')).toBe('no-cache');
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      await first.arrayBuffer();
      const again = await get(path, { 'if-none-match': `W/"other", ${etag}` });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
      const changed = await get(path, { 'if-none-match': '"something-else"' });
      expect(changed.status).toBe(200);
      await changed.arrayBuffer();
    }
  });

  it('serves every module the page imports, and no asset names another origin', async () => {
    const files = readdirSync(UI_DIR);
    const scripts = files.filter((name) => name.endsWith('.js'));
    expect(scripts).toContain('main.js');
    for (const name of files) {
      // An SVG's xmlns is a name, not a fetch.
      const text = readFileSync(join(UI_DIR, name), 'utf8').replace(/xmlns="[^"]*"/g, '');
      expect(text, name).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
      for (const [, imported] of text.matchAll(/\bfrom\s+'(\.\/[^']+)'/g)) {
        const response = await get(`/ui/${imported!.slice(2)}`);
        expect(response.status, `${name} imports ${imported}`).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
        await response.arrayBuffer();
      }
    }
  });

  it('answers 404 problem+json for a file it was not built with, however the path is spelt', async () => {
    const missing = await get('/ui/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(await missing.json()).toMatchObject({ code: 'not_found' });
    expect(await rawGet('/ui/../package.json')).toBe(404);
    expect(await rawGet('/ui/%2e%2e/package.json')).toBe(404);
    expect(await rawGet('/ui/..%2fpackage.json')).toBe(404);
    expect(await rawGet('/ui/main.ts')).toBe(404);
  });
});
