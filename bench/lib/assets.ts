// The compiled benchmark tree (dist-bench/) holds its own copy of src/, whose modules
// find migrations/ and prices/ at the top of that tree: link those into dist-bench/.
// Run after every bench build (`npm run bench:build`), and again by the runners.
import { existsSync, lstatSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './processes.js';

export function linkAssets(): void {
  for (const name of ['migrations', 'prices']) {
    const link = join(REPO_ROOT, 'dist-bench', name);
    let present = false;
    try {
      lstatSync(link);
      present = true;
    } catch {
      present = false;
    }
    if (!present) symlinkSync(join('..', name), link, 'dir'); // relative: survives moving the checkout
  }
}

/** runcap itself runs from dist/, as users run it. */
export function requireBuiltRuncap(): void {
  if (!existsSync(join(REPO_ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first (npm run bench does).');
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) linkAssets();
