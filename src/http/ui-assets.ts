// The live view's files (docs/ui.md): the compiled page under dist/ui, read once into memory with
// their content types and ETags. Serves nothing it was not built with: only the files found in the
// folder at load time, by exact name; never a path built from the request.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` puts the page: dist/ui of the package, from src/http/ and dist/http/ alike. */
export const UI_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface UiAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong validator: the SHA-256 of the bytes, quoted (RFC 9110 §8.8.3). */
  readonly etag: string;
}

/** The page's files by URL path under /ui/ ("index.html", "app.js", ...); empty when not built. */
export type UiAssets = ReadonlyMap<string, UiAsset>;

export function loadUiAssets(dir: string = UI_DIR): UiAssets {
  const assets = new Map<string, UiAsset>();
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return assets;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const contentType = CONTENT_TYPES[extname(entry.name)];
    if (contentType === undefined) continue;
    const file = join(entry.parentPath, entry.name);
    const body = readFileSync(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
    assets.set(relative(dir, file).split(sep).join('/'), { body, contentType, etag });
  }
  return assets;
}
