import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PriceTableError, loadPriceCatalog, parsePriceTable } from './load.js';

const FILE = 'prices/2026-11-01.json';

function entry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    provider: 'openai',
    input: '2.50',
    output: '10.00',
    context_window: 128000,
    max_output_tokens: 16384,
    ...overrides,
  };
}

function table(models: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: '2026-11-01', currency: 'USD', models, ...extra };
}

function errorOf(fn: () => unknown): PriceTableError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PriceTableError) return error;
    throw error;
  }
  throw new Error('expected a PriceTableError');
}

describe('parsePriceTable errors name the file, the model and the field', () => {
  const cases: { name: string; raw: unknown; model: string | null; field: string | null; message: string }[] = [
    {
      name: 'negative price',
      raw: table({ 'gpt-4o': entry({ output: '-1' }) }),
      model: 'gpt-4o',
      field: 'output',
      message:
        'prices/2026-11-01.json: model "gpt-4o" field "output": must be a non-negative decimal string like "0.60", got "-1" (negative prices are not accepted)',
    },
    {
      name: 'non-numeric price',
      raw: table({ 'gpt-4o': entry({ input: 'cheap' }) }),
      model: 'gpt-4o',
      field: 'input',
      message:
        'prices/2026-11-01.json: model "gpt-4o" field "input": must be a non-negative decimal string like "0.60", got "cheap"',
    },
    {
      name: 'price as a JSON number',
      raw: table({ 'gpt-4o': entry({ input: 2.5 }) }),
      model: 'gpt-4o',
      field: 'input',
      message:
        'prices/2026-11-01.json: model "gpt-4o" field "input": must be a non-negative decimal string like "0.60", got number 2.5 (write prices as JSON strings so they stay exact)',
    },
    {
      name: 'exponent notation',
      raw: table({ 'gpt-4o': entry({ cached_input: '1.5e-1' }) }),
      model: 'gpt-4o',
      field: 'cached_input',
      message:
        'prices/2026-11-01.json: model "gpt-4o" field "cached_input": must be a non-negative decimal string like "0.60", got "1.5e-1" (exponent notation is not accepted)',
    },
    {
      name: 'more than 9 decimals',
      raw: table({ 'gpt-4o': entry({ reasoning: '0.0000000001' }) }),
      model: 'gpt-4o',
      field: 'reasoning',
      message:
        'prices/2026-11-01.json: model "gpt-4o" field "reasoning": "0.0000000001" has more than 9 decimal places',
    },
    {
      name: 'unknown encoding',
      raw: table({ 'gpt-4o': entry({ encoding: 'gpt2' }) }),
      model: 'gpt-4o',
      field: 'encoding',
      message:
        'prices/2026-11-01.json: model "gpt-4o" field "encoding": must be one of o200k_base, cl100k_base, p50k_base, r50k_base, got "gpt2"',
    },
    {
      name: 'downgrade_to naming an unknown model',
      raw: table({ 'gpt-4o': entry({ downgrade_to: ['gpt-4o-micro'] }) }),
      model: 'gpt-4o',
      field: 'downgrade_to',
      message:
        'prices/2026-11-01.json: model "gpt-4o" field "downgrade_to": "gpt-4o-micro" is not a model in this table',
    },
    {
      name: 'alias colliding with another model',
      raw: table({ 'gpt-4o': entry(), 'gpt-4o-mini': entry({ aliases: ['gpt-4o'] }) }),
      model: 'gpt-4o-mini',
      field: 'aliases',
      message:
        'prices/2026-11-01.json: model "gpt-4o-mini" field "aliases": alias "gpt-4o" collides with model "gpt-4o"',
    },
    {
      name: "alias colliding with another model's alias",
      raw: table({ a: entry({ aliases: ['snap'] }), b: entry({ aliases: ['snap'] }) }),
      model: 'b',
      field: 'aliases',
      message: 'prices/2026-11-01.json: model "b" field "aliases": alias "snap" collides with an alias of model "a"',
    },
    {
      name: 'unknown field in an entry',
      raw: table({ 'gpt-4o': entry({ ouput: '1' }) }),
      model: 'gpt-4o',
      field: 'ouput',
      message: 'prices/2026-11-01.json: model "gpt-4o" field "ouput": unknown field',
    },
    {
      name: 'missing required field',
      raw: table({ 'gpt-4o': entry({ output: undefined }) }),
      model: 'gpt-4o',
      field: 'output',
      message: 'prices/2026-11-01.json: model "gpt-4o" field "output": is required',
    },
    {
      name: 'estimate_factor below 1',
      raw: table({ c: entry({ estimate_factor: '0.9' }) }),
      model: 'c',
      field: 'estimate_factor',
      message:
        'prices/2026-11-01.json: model "c" field "estimate_factor": must be a number or decimal string between 1 and 10, got "0.9"',
    },
    {
      name: 'capability not a boolean',
      raw: table({ c: entry({ capabilities: { tools: 'yes' } }) }),
      model: 'c',
      field: 'capabilities.tools',
      message: 'prices/2026-11-01.json: model "c" field "capabilities.tools": must be true or false, got "yes"',
    },
    {
      name: 'long_context price invalid',
      raw: table({ c: entry({ long_context: { above_input_tokens: 100000, input: '6', output: 'x' } }) }),
      model: 'c',
      field: 'long_context.output',
      message:
        'prices/2026-11-01.json: model "c" field "long_context.output": must be a non-negative decimal string like "0.60", got "x"',
    },
    {
      name: 'max_output_tokens above context_window',
      raw: table({ c: entry({ max_output_tokens: 200000 }) }),
      model: 'c',
      field: 'max_output_tokens',
      message: 'prices/2026-11-01.json: model "c" field "max_output_tokens": 200000 exceeds context_window 128000',
    },
    {
      name: 'downgrade cycle',
      raw: table({ a: entry({ downgrade_to: ['b'] }), b: entry({ downgrade_to: ['a'] }) }),
      model: 'a',
      field: 'downgrade_to',
      message: 'prices/2026-11-01.json: model "a" field "downgrade_to": downgrade chain loops: a -> b -> a',
    },
    {
      name: 'currency other than USD',
      raw: table({ a: entry() }, { currency: 'EUR' }),
      model: null,
      field: 'currency',
      message: 'prices/2026-11-01.json: field "currency": must be "USD", got "EUR"',
    },
    {
      name: 'version not a date',
      raw: table({ a: entry() }, { version: 'latest' }),
      model: null,
      field: 'version',
      message: 'prices/2026-11-01.json: field "version": must be a date string like "2026-11-01", got "latest"',
    },
  ];

  it.each(cases)('$name', ({ raw, model, field, message }) => {
    const error = errorOf(() => parsePriceTable(raw, FILE));
    expect(error.message).toBe(message);
    expect(error.where).toBe(FILE);
    expect(error.model).toBe(model);
    expect(error.field).toBe(field);
  });
});

describe('loadPriceCatalog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runcap-prices-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, content: unknown): string => {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('loads a folder, picks the greatest version as latest and keeps every version', () => {
    write('2026-01-01.json', table({ a: entry({ input: '1' }) }, { version: '2026-01-01' }));
    write('2026-11-01.json', table({ a: entry({ input: '2' }) }, { version: '2026-11-01' }));
    write('README.md', 'not a table');
    const catalog = loadPriceCatalog(dir);
    expect(catalog.latest.version).toBe('2026-11-01');
    expect([...catalog.byVersion.keys()]).toEqual(['2026-01-01', '2026-11-01']);
    expect(catalog.byVersion.get('2026-01-01')?.models.get('a')?.input).toBe(1_000_000_000n);
    expect(catalog.latest.source).toBe(join(dir, '2026-11-01.json'));
  });

  it('loads a single file', () => {
    const file = write('t.json', table({ a: entry() }));
    const catalog = loadPriceCatalog(file);
    expect(catalog.latest.version).toBe('2026-11-01');
    expect(catalog.byVersion.size).toBe(1);
  });

  it('reports malformed JSON with the file name', () => {
    const file = write('bad.json', '{"version": "2026-11-01",');
    const error = errorOf(() => loadPriceCatalog(dir));
    expect(error.where).toBe(file);
    expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: malformed JSON \\(`));
  });

  it('names the file of a bad entry inside a folder', () => {
    write('2026-11-01.json', table({ 'gpt-4o': entry({ output: '-1' }) }));
    const error = errorOf(() => loadPriceCatalog(dir));
    expect(error.message.startsWith(`${join(dir, '2026-11-01.json')}: model "gpt-4o" field "output":`)).toBe(true);
  });

  it('rejects two files with the same version', () => {
    write('a.json', table({ a: entry() }));
    const second = write('b.json', table({ a: entry() }));
    const error = errorOf(() => loadPriceCatalog(dir));
    expect(error.message).toBe(
      `${second}: field "version": version "2026-11-01" is also used by ${join(dir, 'a.json')}`,
    );
  });

  it('rejects an empty folder and a missing path', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(errorOf(() => loadPriceCatalog(empty)).message).toBe(`${empty}: the folder contains no *.json price tables`);
    expect(errorOf(() => loadPriceCatalog(join(dir, 'nope'))).message).toMatch(/: cannot read prices \(/);
  });
});
