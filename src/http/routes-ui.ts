// GET /ui: the live view (docs/ui.md), a static page from dist/ui that reads the budget API with
// the token the viewer types in. Sends only the files the build made, each with its content type,
// an ETag (answered 304 when it matches) and a Content-Security-Policy that allows no inline
// script, no inline style attribute and no other origin. The page holds no data: every figure it
// shows comes from /budget/* with the viewer's own token.
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import { RuncapError } from '../errors.js';
import { loadUiAssets, type UiAsset, type UiAssets } from './ui-assets.js';

export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const UI_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': UI_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  // Revalidate every time (a cheap 304): the module files keep their names across upgrades, so a
  // cached copy must never outlive the runcap that served it.
  'cache-control': 'no-cache',
};

export function registerUiRoutes(app: Hono<{ Bindings: HttpBindings }>, load: () => UiAssets = loadUiAssets): void {
  let assets: UiAssets | null = null;
  const asset = (name: string): UiAsset => {
    assets ??= load();
    if (assets.size === 0) {
      assets = null; // not built yet: look again next time
      throw new RuncapError('not_found', 'The live view is not built: run `npm run build` (it writes dist/ui).');
    }
    const found = assets.get(name);
    if (found === undefined) throw new RuncapError('not_found', 'No such file in the live view.');
    return found;
  };
  const send = (file: UiAsset, ifNoneMatch: string | undefined): Response => {
    const headers = { ...UI_HEADERS, etag: file.etag };
    if (ifNoneMatch !== undefined && matches(ifNoneMatch, file.etag))
      return new Response(null, { status: 304, headers });
    return new Response(file.body, { status: 200, headers: { ...headers, 'content-type': file.contentType } });
  };

  app.get('/ui', (c) => send(asset('index.html'), c.req.header('if-none-match')));
  app.get('/ui/', (c) => send(asset('index.html'), c.req.header('if-none-match')));
  app.get('/ui/*', (c) => send(asset(c.req.path.slice('/ui/'.length)), c.req.header('if-none-match')));
}

/** If-None-Match (RFC 9110 §13.1.2): `*` or a list of entity tags, compared weakly. */
function matches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
