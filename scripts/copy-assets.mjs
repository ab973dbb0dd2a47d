// Copies the non-TypeScript files the compiled code reads beside itself (the Redis ledger's
// lua/*.lua; the live view's page, stylesheet and icon) from a source tree into a build tree,
// keeping their paths: tsc copies only what it compiles. `node scripts/copy-assets.mjs src dist`
// and `node scripts/copy-assets.mjs ui dist/ui` (both run by `npm run build`).
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const ASSET = /\.(lua|html|css|svg)$/;
const [from, to] = process.argv.slice(2);
if (from === undefined || to === undefined) {
  process.stderr.write('usage: node scripts/copy-assets.mjs <source dir> <build dir>\n');
  process.exit(2);
}

let copied = 0;
for (const entry of readdirSync(from, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !ASSET.test(entry.name)) continue;
  const source = join(entry.parentPath ?? entry.path, entry.name);
  const target = join(to, relative(from, source));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
  copied += 1;
}
if (copied === 0) {
  process.stderr.write(`no assets found under ${from}\n`);
  process.exit(1);
}
