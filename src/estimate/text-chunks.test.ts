import fc from 'fast-check';
import { get_encoding } from 'tiktoken';
import { describe, expect, it } from 'vitest';
import { isExactCut, splitForEncoding } from './text-chunks.js';

const o200k = get_encoding('o200k_base');
const cl100k = get_encoding('cl100k_base');
const p50k = get_encoding('p50k_base');

const count = (encoder: typeof o200k, text: string): number => encoder.encode_ordinary(text).length;

// Fragments that exercise every branch of the pre-token patterns.
const FRAGMENTS = [
  'the',
  'The',
  'HTTP',
  'don',
  "'t",
  "'s",
  "'",
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  ' \n',
  '.',
  ',',
  '...',
  '!',
  '?',
  '(',
  ')',
  '{',
  '"',
  ':',
  '/',
  '//',
  '_',
  '-',
  '=>',
  '1',
  '12',
  '1234',
  '3.14',
  'é',
  'über',
  'naïve',
  'привет',
  ' мир',
  '日本語',
  'の',
  '😀',
  'ab😀',
  '\u0301',
  'x',
  'A',
  'z9',
  '<|endoftext|>',
  '#',
  '$',
  '@',
  '\u00a0',
];
const text = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 80 }).map((parts) => parts.join(''));

describe('isExactCut', () => {
  it.each([
    ['ab,cd', 2, true],
    ['ab cd', 2, true],
    ['ab1', 2, true],
    ['12a', 2, true],
    ['x  yz', 1, true],
    ['x  yz', 2, true],
    ['x  yz', 3, false],
    ['. мир', 1, true],
    ["don't", 3, false],
    ['abcd', 2, false],
    ['1234', 2, false],
    ['a é', 1, true],
    ['aé', 1, false],
    ['a\u0301', 1, false],
    ['.,', 1, false],
    ['  \n', 1, false],
  ])('%j at %i -> %s', (value, index, expected) => {
    expect(isExactCut(value, index)).toBe(expected);
  });
});

describe('splitForEncoding', () => {
  it('returns short text whole', () => {
    expect(splitForEncoding('hello world')).toEqual(['hello world']);
  });

  it('joins back to the original text', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), (value, target, run) => {
        expect(splitForEncoding(value, { targetChars: target, maxRunChars: run }).join('')).toBe(value);
      }),
    );
  });

  it('cuts only where every encoding starts a pre-token, so counts are exact when no run is forced', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 30 }), (value, target) => {
        const chunks = splitForEncoding(value, { targetChars: target, maxRunChars: 1_000_000 });
        for (const encoder of [o200k, cl100k, p50k]) {
          const summed = chunks.reduce((total, chunk) => total + count(encoder, chunk), 0);
          expect(summed).toBe(count(encoder, value));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('bounds every stretch without an exact cut, and never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(1000);
    const chunks = splitForEncoding(emoji, { targetChars: 4096, maxRunChars: 255 });
    expect(chunks.join('')).toBe(emoji);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(256);
      expect(chunk.codePointAt(0)).toBe(0x1f600);
    }
    const letters = splitForEncoding('a'.repeat(10_000));
    expect(Math.max(...letters.map((chunk) => chunk.length))).toBe(256);
    expect(letters).toHaveLength(40);
  });

  it('makes chunks near the target size in ordinary prose', () => {
    const prose = 'The quick brown fox jumps over the lazy dog. '.repeat(1000);
    const chunks = splitForEncoding(prose);
    expect(chunks.length).toBe(11);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeGreaterThanOrEqual(4096);
    expect(chunks.reduce((total, chunk) => total + count(o200k, chunk), 0)).toBe(count(o200k, prose));
  });
});
