import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { NOT_CUT, parseJsonInPieces, type CutLimits } from './json-pieces.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const tiny: CutLimits = { pieceMaxBytes: 24, minPieceBytes: 2 };

/** Same values, same key order, same prototypes, -0 told from 0. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length || keysA.some((key, index) => key !== keysB[index])) return false;
  return keysA.every((key) => same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

const limitsArb = fc.record({
  pieceMaxBytes: fc.integer({ min: 1, max: 300 }),
  minPieceBytes: fc.integer({ min: 1, max: 60 }),
});
const containerArb = fc.oneof(fc.array(fc.jsonValue()), fc.dictionary(fc.string(), fc.jsonValue()));

describe('parseJsonInPieces', () => {
  it('gives what JSON.parse gives, or NOT_CUT (property)', () => {
    let cuts = 0;
    fc.assert(
      fc.property(containerArb, limitsArb, fc.boolean(), (value, limits, spaced) => {
        const text = JSON.stringify(value, null, spaced ? ' \t\n\r'.slice(0, 2) : undefined);
        const cut = parseJsonInPieces(bytes(text), limits);
        if (cut === NOT_CUT) return;
        cuts += 1;
        expect(same(cut, JSON.parse(text))).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(cuts).toBeGreaterThan(100);
  });

  it('never gives a value for text JSON.parse refuses, nor a different one for text it takes (property)', () => {
    const mutated = fc
      .tuple(containerArb, fc.nat(), fc.constantFrom('', ',', ']', '}', '[', '{', '"', ':', '0', ' ', '\\'))
      .map(([value, at, insert]) => {
        const text = JSON.stringify(value);
        const cutAt = at % (text.length + 1);
        return insert === ''
          ? text.slice(0, cutAt) + text.slice(cutAt + 1)
          : text.slice(0, cutAt) + insert + text.slice(cutAt);
      });
    fc.assert(
      fc.property(mutated, limitsArb, (text, limits) => {
        const cut = parseJsonInPieces(bytes(text), limits);
        let expected: unknown = NOT_CUT;
        try {
          expected = JSON.parse(text);
        } catch {
          expect(cut).toBe(NOT_CUT);
          return;
        }
        if (cut !== NOT_CUT) expect(same(cut, expected)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('cuts an agent-loop body into array groups and gives the same messages', () => {
    const messages = Array.from({ length: 60 }, (_, i) => ({
      role: i % 2 === 0 ? 'assistant' : 'user',
      content: `step ${i} ${'some tool output \u00e9\u4e2d "quoted" \\ '.repeat(120)}`,
    }));
    const text = JSON.stringify({ model: 'gpt-4.1-mini', messages, max_completion_tokens: 1024 });
    expect(text.length).toBeGreaterThan(200_000);
    const cut = parseJsonInPieces(bytes(text));
    expect(cut).not.toBe(NOT_CUT);
    expect(same(cut, JSON.parse(text))).toBe(true);
  });

  it('cuts deep nesting at a bounded depth (no quadratic scan)', () => {
    // Each level cut scans its bytes once more. Past the bound, the large array 3,000 levels down is one
    // piece: the skeleton plus a few parses, where cutting every level would make ~600 pieces of it (and
    // scan the body 3,000 times). Counted, not timed: the time is in docs/benchmarks.md, not a test.
    const depth = 3_000;
    const text = `${'[1,'.repeat(depth)}[${'1,'.repeat(300_000)}1]${']'.repeat(depth)}`;
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const cut = parseJsonInPieces(bytes(text), { pieceMaxBytes: 1024, minPieceBytes: 16 });
      expect(parse.mock.calls.length).toBeLessThanOrEqual(4);
      expect(cut).not.toBe(NOT_CUT);
      expect(JSON.stringify(cut)).toBe(text);
    } finally {
      parse.mockRestore();
    }
  });

  it.each([
    ['__proto__ members stay own keys', '{"__proto__":{"polluted":"yes, a long value"},"b":[1,2,3,4,5,6,7,8,9]}'],
    ['__proto__ on the path to a piece', '{"__proto__":{"inner":["aaaaaaaaaaaa","bbbbbbbbbbbbbb","cccccccccc"]}}'],
    [
      'whitespace everywhere',
      ' {\n "a" :\t[ "xxxxxxxxxx" ,\r\n "yyyyyyyyyyyy" , { "z" : "zzzzzzzzzzzz" } ] , "b" : -0 } ',
    ],
    ['escaped quotes and backslashes', '{"a":"\\\\\\"]},{[","b":["\\\\","\\"","\\u005d\\u007d",{"c":"\\\\\\\\"}]}'],
    ['a long string in an array', `[1,"${'s'.repeat(100)}",2,{"k":"${'t'.repeat(50)}"}]`],
  ])('keeps JSON.parse semantics: %s', (_name, text) => {
    const cut = parseJsonInPieces(bytes(text), tiny);
    expect(cut).not.toBe(NOT_CUT);
    expect(same(cut, JSON.parse(text))).toBe(true);
    expect(Object.getPrototypeOf(cut)).toBe(Object.getPrototypeOf(JSON.parse(text)));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each([
    ['a key twice in a cut object', '{"a":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","a":"yyyyyyyyyyyyyyyyyyyyyyyyyy"}'],
    ['a key twice, the last one a 0 like the placeholder', '{"a":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","a":0}'],
    [
      'an escaped spelling of the same key',
      '{"a":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","\\u0061":"yyyyyyyyyyyyyyyyyyyyyyyyyy"}',
    ],
    ['a scalar body', `"${'x'.repeat(100)}"`],
    ['trailing text', '{"a":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","b":"yyyyyyyyyyyyyyyyyyyyyyyyyy"} x'],
    ['a trailing comma', '["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","yyyyyyyyyyyyyyyyyyyyyyyyyy",]'],
    ['an unterminated string', '["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","yyyyyyyyyyyyyyyyyyyyyyyyyy]'],
    ['mismatched brackets', '["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",{"y":"yyyyyyyyyyyyyyyyyyyyyyyyy"]]'],
  ])('leaves to the whole parse: %s', (_name, text) => {
    expect(parseJsonInPieces(bytes(text), tiny)).toBe(NOT_CUT);
  });
});
