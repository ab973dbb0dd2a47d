// `runcap prices import <litellm.json>`: converts LiteLLM's price file into prices/<version>.json.
// Owns the file I/O and the summary; the conversion itself is pure (pricing/litellm-import.ts).
// The file is written atomically, and only after it round-trips through loadPriceCatalog.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { importLitellm, type SkippedModel } from '../pricing/litellm-import.js';
import { loadPriceCatalog } from '../pricing/load.js';
import { canonicalModels } from '../pricing/lookup.js';
import { isValidVersion } from '../pricing/parse-table.js';

export { importLitellm, perTokenToPerMillion } from '../pricing/litellm-import.js';
export type { LitellmImport, LitellmImportOptions, SkippedModel } from '../pricing/litellm-import.js';

export interface CliOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const USAGE = `usage: runcap prices import <litellm.json> [--out prices/<version>.json] [--version YYYY-MM-DD]
                           [--provider openai,anthropic] [--force]`;
const EXAMPLES_PER_REASON = 3;

const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * `argv` is the arguments AFTER `prices import`. Exit codes: 0 written, 1 failed (unreadable
 * input, nothing importable, output exists without --force, validation failed), 2 usage error.
 */
export async function runPricesImport(argv: string[], io: CliOutput = processOutput): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.err(`${message(error)}\n${USAGE}`);
    return 2;
  }
  if (args.values.help === true) {
    io.out(USAGE);
    return 0;
  }
  const [input, ...extra] = args.positionals;
  if (input === undefined || extra.length > 0) {
    io.err(`expected exactly one input file\n${USAGE}`);
    return 2;
  }
  const version = args.values.version ?? new Date().toISOString().slice(0, 10);
  if (!isValidVersion(version)) {
    io.err(`--version must be a date like 2026-11-01, got "${version}"\n${USAGE}`);
    return 2;
  }
  const providers = args.values.provider
    ?.flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const outPath = args.values.out ?? join('prices', `${version}.json`);

  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(input, 'utf8'));
  } catch (error) {
    io.err(`cannot read ${input}: ${message(error)}`);
    return 1;
  }
  let result: ReturnType<typeof importLitellm>;
  try {
    result = importLitellm(
      raw,
      providers === undefined || providers.length === 0 ? { version } : { version, providers },
    );
  } catch (error) {
    io.err(`${input}: ${message(error)}`);
    return 1;
  }
  const modelCount = Object.keys(result.table.models).length;
  if (modelCount === 0) {
    io.err(`${input}: no importable models${providers ? ` for provider(s) ${providers.join(', ')}` : ''}`);
    reportSkipped(result.skipped, io.err);
    return 1;
  }
  if (existsSync(outPath) && args.values.force !== true) {
    io.err(`${outPath} already exists; pass --force to replace it`);
    return 1;
  }

  const tmpPath = `${outPath}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(tmpPath, `${JSON.stringify(result.table, null, 2)}\n`);
    const loaded = loadPriceCatalog(tmpPath).latest;
    if (loaded.version !== version || canonicalModels(loaded).length !== modelCount) {
      throw new Error(`the written table did not read back as ${modelCount} models of version ${version}`);
    }
    renameSync(tmpPath, outPath);
  } catch (error) {
    rmSync(tmpPath, { force: true });
    io.err(`not written: ${message(error)}`);
    return 1;
  }

  const aliasCount = Object.values(result.table.models).reduce((n, entry) => n + entry.aliases.length, 0);
  io.out(
    `wrote ${outPath}: version ${version}, ${modelCount} models, ${aliasCount} aliases, ${result.skipped.length} skipped`,
  );
  reportSkipped(result.skipped, io.out);
  io.out('review the prices and add downgrade_to chains by hand before relying on the table');
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string', short: 'o' },
      version: { type: 'string' },
      provider: { type: 'string', multiple: true },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Groups skipped entries by reason, most frequent first, with a few example names each. */
function reportSkipped(skipped: readonly SkippedModel[], write: (line: string) => void): void {
  const byReason = new Map<string, string[]>();
  for (const { model, reason } of skipped) byReason.set(reason, [...(byReason.get(reason) ?? []), model]);
  const groups = [...byReason].sort((a, b) => b[1].length - a[1].length);
  for (const [reason, models] of groups) {
    const examples = models.slice(0, EXAMPLES_PER_REASON).join(', ');
    const more = models.length > EXAMPLES_PER_REASON ? `, +${models.length - EXAMPLES_PER_REASON} more` : '';
    write(`  skipped ${models.length}: ${reason} (${examples}${more})`);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
