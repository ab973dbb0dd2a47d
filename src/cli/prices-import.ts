// `runcap prices import --from genai-prices` (the maintained catalogs, docs/pricing.md) and
// `runcap prices import [--from litellm] <litellm.json>`: write prices/<version>.json. Owns the
// file I/O and the summary; the conversions are pure (pricing/catalog/, pricing/litellm-import.ts).
// The file is written atomically, and only after it round-trips through loadPriceCatalog;
// on any error nothing is written.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { importLitellm, type SkippedModel } from '../pricing/litellm-import.js';
import type { PriceTableJson } from '../pricing/table-json.js';
import { loadCatalogs } from './catalog-sources.js';
import { loadPriceCatalog } from '../pricing/load.js';
import { canonicalModels } from '../pricing/lookup.js';
import { isValidVersion } from '../pricing/parse-table.js';
import { CatalogError, parseCuration, importCatalogs } from '../pricing/catalog/index.js';

export { importLitellm, perTokenToPerMillion } from '../pricing/litellm-import.js';
export type { LitellmImport, LitellmImportOptions, SkippedModel } from '../pricing/litellm-import.js';

export interface CliOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const USAGE = `usage: runcap prices import <litellm.json> [--from litellm] [--out prices/<version>.json] [--version YYYY-MM-DD]
                           [--provider openai,anthropic] [--force]
       runcap prices import --from genai-prices [--version YYYY-MM-DD] [--date YYYY-MM-DD]
                           [--curation prices/sources/curation.json] [--catalog genai-data.json]
                           [--out prices/<version>.json] [--force]`;
const SOURCES = ['genai-prices', 'litellm'] as const;
const DEFAULT_CURATION = join('prices', 'sources', 'curation.json');
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
  const from = args.values.from ?? 'litellm';
  if (!(SOURCES as readonly string[]).includes(from)) {
    io.err(`--from must be one of ${SOURCES.join(', ')}, got "${from}"; nothing written\n${USAGE}`);
    return 2;
  }
  const version = args.values.version ?? new Date().toISOString().slice(0, 10);
  if (!isValidVersion(version)) {
    io.err(`--version must be a date like 2026-11-01, got "${version}"\n${USAGE}`);
    return 2;
  }
  if (from === 'genai-prices') return importFromCatalogs(args, version, io);
  const [input, ...extra] = args.positionals;
  if (input === undefined || extra.length > 0) {
    io.err(`expected exactly one input file\n${USAGE}`);
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
  if (!writeTable(result.table, outPath, args.values.force === true, io)) return 1;
  io.out(`wrote ${outPath}: ${summary(result.table)}, ${result.skipped.length} skipped`);
  reportSkipped(result.skipped, io.out);
  io.out('review the prices and add downgrade_to chains by hand before relying on the table');
  return 0;
}

async function importFromCatalogs(args: ReturnType<typeof parse>, version: string, io: CliOutput): Promise<number> {
  if (args.positionals.length > 0 || args.values.provider !== undefined) {
    io.err(`--from genai-prices takes no input file and no --provider (the curation file lists the models)\n${USAGE}`);
    return 2;
  }
  const date = args.values.date ?? new Date().toISOString().slice(0, 10);
  if (!isValidVersion(date) || date.length !== 10) {
    io.err(`--date must be a date like 2026-11-30, got "${date}"\n${USAGE}`);
    return 2;
  }
  const curationPath = args.values.curation ?? DEFAULT_CURATION;
  let result: ReturnType<typeof importCatalogs>;
  try {
    let rawCuration: unknown;
    try {
      rawCuration = JSON.parse(readFileSync(curationPath, 'utf8'));
    } catch (error) {
      throw new CatalogError(curationPath, '', `cannot read the curation file (${message(error)})`);
    }
    const curation = parseCuration(rawCuration, curationPath);
    const catalogs = await loadCatalogs(args.values.catalog ?? null);
    result = importCatalogs({ version, date, ...catalogs, curation, curationName: curationPath });
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    io.err(`${error.message}; nothing written`);
    return 1;
  }
  const outPath = args.values.out ?? join('prices', `${version}.json`);
  if (!writeTable(result.table, outPath, args.values.force === true, io)) return 1;
  const generated = result.table.models;
  const outside = Object.keys(generated).filter((model) => generated[model]?.source !== undefined);
  io.out(`wrote ${outPath}: ${summary(result.table)}, prices as of ${date}`);
  if (outside.length > 0) io.out(`  not priced by the catalog (see each entry's "source"): ${outside.join(', ')}`);
  reportSkipped(result.skipped, io.out);
  return 0;
}

/** Writes atomically after a read-back through the loader; false (and a message) on failure. */
function writeTable(table: PriceTableJson, outPath: string, force: boolean, io: CliOutput): boolean {
  if (existsSync(outPath) && !force) {
    io.err(`${outPath} already exists; pass --force to replace it`);
    return false;
  }
  const modelCount = Object.keys(table.models).length;
  const tmpPath = `${outPath}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(tmpPath, `${JSON.stringify(table, null, 2)}\n`);
    const loaded = loadPriceCatalog(tmpPath).latest;
    if (loaded.version !== table.version || canonicalModels(loaded).length !== modelCount) {
      throw new Error(`the written table did not read back as ${modelCount} models of version ${table.version}`);
    }
    renameSync(tmpPath, outPath);
    return true;
  } catch (error) {
    rmSync(tmpPath, { force: true });
    io.err(`not written: ${message(error)}`);
    return false;
  }
}

function summary(table: PriceTableJson): string {
  const entries = Object.values(table.models);
  const aliases = entries.reduce((n, entry) => n + entry.aliases.length, 0);
  return `version ${table.version}, ${entries.length} models, ${aliases} aliases`;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string', short: 'o' },
      from: { type: 'string' },
      date: { type: 'string' },
      curation: { type: 'string' },
      catalog: { type: 'string' },
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
