import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPriceCatalog } from '../pricing/load.js';
import { runPricesImport, type CliOutput } from './prices-import.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/litellm-sample.json', import.meta.url));

function capture(): CliOutput & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

describe('runPricesImport', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runcap-import-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a table that loads, and prints a summary with grouped skip reasons', async () => {
    const io = capture();
    const out = join(dir, 'prices', '2026-11-02.json');
    const code = await runPricesImport([FIXTURE, '--version', '2026-11-02', '--out', out], io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    const table = loadPriceCatalog(join(dir, 'prices')).latest;
    expect(table.version).toBe('2026-11-02');
    expect(table.models.get('gpt-4o-mini-2024-07-18')?.model).toBe('gpt-4o-mini');
    expect(table.models.get('claude-sonnet-4-5')?.longContext?.output).toBe(22_500_000_000n);
    expect(io.stdout[0]).toBe(`wrote ${out}: version 2026-11-02, 6 models, 2 aliases, 2 skipped`);
    expect(io.stdout).toContain('  skipped 1: mode "image_generation" is not a per-token text mode (dall-e-3)');
    expect(readdirSync(join(dir, 'prices'))).toEqual(['2026-11-02.json']); // no temp file left behind
  });

  it('filters providers from a comma list and repeated flags', async () => {
    const io = capture();
    const out = join(dir, 'x.json');
    expect(
      await runPricesImport([FIXTURE, '--version=2026-11-02', `--out=${out}`, '--provider', 'anthropic,azure'], io),
    ).toBe(0);
    const models = JSON.parse(readFileSync(out, 'utf8')) as { models: Record<string, unknown> };
    expect(Object.keys(models.models)).toEqual(['azure/gpt-4o', 'claude-sonnet-4-5']);
  });

  it('refuses to overwrite without --force', async () => {
    const out = join(dir, 'existing.json');
    writeFileSync(out, 'keep me');
    const io = capture();
    expect(await runPricesImport([FIXTURE, '--version', '2026-11-02', '--out', out], io)).toBe(1);
    expect(io.stderr).toEqual([`${out} already exists; pass --force to replace it`]);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    expect(await runPricesImport([FIXTURE, '--version', '2026-11-02', '--out', out, '--force'], capture())).toBe(0);
    expect(loadPriceCatalog(out).latest.version).toBe('2026-11-02');
  });

  it.each<[string, string[], number, RegExp]>([
    ['no input file', [], 2, /^expected exactly one input file/],
    ['two input files', ['a.json', 'b.json'], 2, /^expected exactly one input file/],
    ['an unknown flag', ['a.json', '--bogus'], 2, /Unknown option '--bogus'/],
    [
      'a bad version',
      ['a.json', '--version', '11/02/2026'],
      2,
      /^--version must be a date like 2026-11-01, got "11\/02\/2026"/,
    ],
    [
      'a missing input file',
      ['/nonexistent/litellm.json', '--version', '2026-11-02'],
      1,
      /^cannot read \/nonexistent\/litellm.json: /,
    ],
  ])('fails on %s', async (_name, argv, expectedCode, message) => {
    const io = capture();
    expect(await runPricesImport(argv, io)).toBe(expectedCode);
    expect(io.stderr[0]).toMatch(message);
  });

  it('fails when nothing is importable, listing why', async () => {
    const io = capture();
    const out = join(dir, 'none.json');
    expect(await runPricesImport([FIXTURE, '--version', '2026-11-02', '--out', out, '--provider', 'mistral'], io)).toBe(
      1,
    );
    expect(io.stderr[0]).toBe(`${FIXTURE}: no importable models for provider(s) mistral`);
    expect(existsSync(out)).toBe(false);
  });

  it('prints usage for --help', async () => {
    const io = capture();
    expect(await runPricesImport(['--help'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^usage: runcap prices import <litellm.json>/);
  });
});
