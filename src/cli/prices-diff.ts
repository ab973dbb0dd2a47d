// `runcap prices diff <old> <new>`: what a new price table changes (added, removed, repriced
// models), for operators deciding whether to pin. Each argument is a table file, or a version
// found in ./prices. Read-only.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPriceTable, PriceTableError } from '../pricing/load.js';
import { diffTables, renderDiff } from '../pricing/table-diff.js';
import type { CliOutput } from './prices-import.js';

const USAGE = 'usage: runcap prices diff <old table or version> <new table or version> [--json]';

export function runPricesDiff(argv: string[], io: CliOutput): number {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { json: { type: 'boolean' } } });
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [before, after, ...extra] = args.positionals;
  if (before === undefined || after === undefined || extra.length > 0) {
    io.err(`expected two tables\n${USAGE}`);
    return 2;
  }
  try {
    const diff = diffTables(loadPriceTable(tableFile(before)), loadPriceTable(tableFile(after)));
    if (args.values.json === true) io.out(JSON.stringify(diff, null, 2));
    else for (const line of renderDiff(diff)) io.out(line);
    return 0;
  } catch (error) {
    if (!(error instanceof PriceTableError)) throw error;
    io.err(error.message);
    return 1;
  }
}

function tableFile(arg: string): string {
  const inFolder = join('prices', `${arg}.json`);
  return !existsSync(arg) && existsSync(inFolder) ? inFolder : arg;
}
