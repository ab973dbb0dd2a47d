// `runcap prices import --from genai-prices` and `runcap prices diff` end to end on files:
// the installed catalogs, a malformed catalog file, a bad --from. Nothing is written on error.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPriceCatalog } from '../pricing/load.js';
import { runPricesDiff } from './prices-diff.js';
import { runPricesImport, type CliOutput } from './prices-import.js';

function capture(): CliOutput & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

describe('runcap prices import --from genai-prices', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runcap-catalog-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a dated table from the installed catalogs that the loader accepts', async () => {
    const io = capture();
    const out = join(dir, '2026-12-01.json');
    const code = await runPricesImport(
      ['--from', 'genai-prices', '--version', '2026-12-01', '--date', '2026-11-30', '--out', out],
      io,
    );
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    const table = loadPriceCatalog(out).latest;
    expect(table.version).toBe('2026-12-01');
    expect(table.models.get('claude-opus-4-5-20251101')?.model).toBe('claude-opus-4-5');
    expect(io.stdout[0]).toMatch(
      /^wrote .*2026-12-01\.json: version 2026-12-01, 63 models, \d+ aliases, prices as of 2026-11-30$/,
    );
    expect(io.stdout[1]).toContain('not priced by the catalog (see each entry\'s "source"): gpt-6.2-sol');
    expect(readdirSync(dir)).toEqual(['2026-12-01.json']);
  });

  it('refuses an unknown --from, naming the choices, and writes nothing', async () => {
    const io = capture();
    const out = join(dir, 'x.json');
    expect(await runPricesImport(['--from', 'openrouter', '--out', out], io)).toBe(2);
    expect(io.stderr[0]).toContain('--from must be one of genai-prices, litellm, got "openrouter"; nothing written');
    expect(existsSync(out)).toBe(false);
  });

  it.each<[string, unknown, string]>([
    ['not a list', { openai: {} }, 'expected an array of providers'],
    ['a provider missing', [{ id: 'openai', models: [] }], 'no provider "anthropic"'],
    [
      'a float-noise price',
      [
        {
          id: 'openai',
          models: [{ id: 'gpt-5', match: { equals: 'gpt-5' }, prices: { input_mtok: 0.1 + 0.2, output_mtok: 1 } }],
        },
        { id: 'anthropic', models: [] },
      ],
      'at providers[openai].models[gpt-5].prices.input_mtok: 0.30000000000000004 has more than 9 decimals (float noise?)',
    ],
  ])('refuses a malformed catalog (%s), naming what is wrong, and writes nothing', async (_name, data, message) => {
    const catalog = join(dir, 'data.json');
    writeFileSync(catalog, JSON.stringify(data));
    const io = capture();
    const out = join(dir, 'out.json');
    expect(await runPricesImport(['--from', 'genai-prices', '--catalog', catalog, '--out', out], io)).toBe(1);
    expect(io.stderr[0]).toContain(message);
    expect(io.stderr[0]).toMatch(/; nothing written$/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an unreadable curation file and writes nothing', async () => {
    const io = capture();
    const out = join(dir, 'out.json');
    expect(
      await runPricesImport(['--from', 'genai-prices', '--curation', join(dir, 'none.json'), '--out', out], io),
    ).toBe(1);
    expect(io.stderr[0]).toContain('cannot read the curation file');
    expect(existsSync(out)).toBe(false);
  });
});

describe('runcap prices diff', () => {
  it('lists added, removed and repriced models between two shipped tables', () => {
    const io = capture();
    expect(runPricesDiff(['2026-11-01', '2026-11-30'], io)).toBe(0);
    expect(io.stdout[0]).toBe('price table 2026-11-01 -> 2026-11-30');
    expect(io.stdout.find((l) => l.startsWith('added'))).toContain('claude-sonnet-5-5');
    expect(io.stdout.find((l) => l.startsWith('removed'))).toBe('removed (2): davinci-002, babbage-002');
    expect(io.stdout).toContain(
      '  claude-sonnet-4-5: long_context above 200000 -> (none); context_window 1000000 -> 200000',
    );
  });

  it('reports JSON with --json, and a bad file by name', () => {
    const io = capture();
    expect(runPricesDiff(['prices/2026-11-01.json', 'prices/2026-11-01.json', '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout.join('\n'))).toEqual({
      from: '2026-11-01',
      to: '2026-11-01',
      added: [],
      removed: [],
      repriced: [],
      changed: [],
    });
    const bad = capture();
    expect(runPricesDiff(['2026-11-01', 'nope.json'], bad)).toBe(1);
    expect(bad.stderr[0]).toContain('nope.json');
  });
});
