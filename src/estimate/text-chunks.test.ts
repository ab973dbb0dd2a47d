import fc from 'fast-check';
import { get_encoding } from 'tiktoken';
import { describe, expect, it } from 'vitest';
import { cutLongRuns, DEFAULT_MAX_RUN_CODE_POINTS, splitForEncoding } from './text-chunks.js';

const o200k = get_encoding('o200k_base');
const cl100k = get_encoding('cl100k_base');

const count = (encoder: typeof o200k, text: string): number => encoder.encode_ordinary(text).length;
const sumOfChunks = (encoder: typeof o200k, chunks: readonly string[]): number =>
  chunks.reduce((total, chunk) => total + count(encoder, chunk), 0);

/** The longest run of code points that all match `pattern` (a single-character class). */
function longestRun(text: string, pattern: RegExp): number {
  let longest = 0;
  let run = 0;
  for (const char of text) {
    run = pattern.test(char) ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

const CLASSES = [
  /^[\p{L}\p{M}]$/u,
  /^\p{N}$/u,
  /^[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u,
  /^[^\s\p{L}\p{N}\x85]$|^\ufeff$/u,
  /^[\r\n/]$/u,
];

const runs = fc
  .array(
    fc.tuple(
      fc.constantFrom('a', 'Z', '日', '😀', ' ', '\n', '/', '=', '7', '\u0301', '\ufeff', '\u0085', 'é'),
      fc.nat(40),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.map(([unit, times]) => unit.repeat(times + 1)).join(''));

describe('splitForEncoding', () => {
  it('returns text without a long class run whole (so it is counted exactly)', () => {
    expect(splitForEncoding('hello world')).toEqual(['hello world']);
    const prose = 'The quick brown fox jumps over the lazy dog. '.repeat(1000);
    expect(splitForEncoding(prose)).toEqual([prose]);
    // CJK prose with its own punctuation: every run is short, nothing is cut.
    const cjk = '東京都の新宿区にある駅前広場で、多くの人が集まりました。'.repeat(400);
    expect(splitForEncoding(cjk)).toEqual([cjk]);
    const indented = `{\n${' '.repeat(DEFAULT_MAX_RUN_CODE_POINTS - 1)}"a": 1\n}`.repeat(50);
    expect(splitForEncoding(indented)).toEqual([indented]);
  });

  it('joins back to the text, never splits a surrogate pair, and leaves no class run longer than the bound', () => {
    fc.assert(
      fc.property(runs, fc.integer({ min: 3, max: 60 }), (value, maxRun) => {
        const chunks = splitForEncoding(value, maxRun);
        expect(chunks.join('')).toBe(value);
        for (const chunk of chunks) {
          const first = chunk.charCodeAt(0);
          expect(first >= 0xdc00 && first <= 0xdfff).toBe(false);
          for (const pattern of CLASSES) expect(longestRun(chunk, pattern)).toBeLessThanOrEqual(maxRun);
        }
        if (CLASSES.every((pattern) => longestRun(value, pattern) <= maxRun)) expect(chunks).toEqual([value]);
      }),
      { numRuns: 300 },
    );
  });

  it('cuts exactly where the full scan cuts (its quick check skips only texts the scan leaves whole)', () => {
    const units = [
      'a',
      ' ',
      '\n',
      '/',
      '=',
      '7',
      '日',
      '😀',
      '\u{20000}',
      '\u{1D400}',
      '\u0301',
      '\ud800',
      '\udc00',
      'é',
    ];
    const mixed = fc
      .array(fc.tuple(fc.constantFrom(...units), fc.nat(80)), { maxLength: 16 })
      .map((parts) => parts.map(([unit, times]) => unit.repeat(times + 1)).join(''));
    fc.assert(
      fc.property(fc.oneof(runs, mixed), fc.integer({ min: 3, max: 90 }), (value, maxRun) => {
        expect(splitForEncoding(value, maxRun)).toEqual(cutLongRuns(value, maxRun));
      }),
      { numRuns: 2_000 },
    );
    // Supplementary letters (two code units each) make a letter run across window edges.
    const wide = `x ${'\u{20000}'.repeat(301)} y`;
    expect(splitForEncoding(wide)).toEqual(cutLongRuns(wide));
    expect(splitForEncoding(wide).length).toBe(2);
  });

  it('cuts a long run every bound code points', () => {
    const letters = splitForEncoding('a'.repeat(10_000));
    expect(letters.map((chunk) => chunk.length)).toEqual([...Array(33).fill(300), 100]);
    const emoji = splitForEncoding('😀'.repeat(1000));
    expect(emoji.map((chunk) => chunk.length)).toEqual([600, 600, 600, 200]);
    const slashes = splitForEncoding('/\n'.repeat(400));
    expect(slashes.map((chunk) => chunk.length)).toEqual([300, 300, 200]);
  });

  it('keeps digit runs exact in o200k and cl100k (cuts fall on their 3-digit groups)', () => {
    const digits = '31415926535897932384626433832795'.repeat(40) + ' tail';
    const chunks = splitForEncoding(digits);
    expect(chunks.length).toBeGreaterThan(1);
    for (const encoder of [o200k, cl100k]) expect(sumOfChunks(encoder, chunks)).toBe(count(encoder, digits));
  });

  it('changes only the tokens of a cut run: the count stays within two tokens per cut', () => {
    for (const unit of ['a', ' ', '=', '日本', 'é', '😀']) {
      const text = `Some text before, ${unit.repeat(1200)} and after it.`;
      const chunks = splitForEncoding(text);
      const cuts = chunks.length - 1;
      expect(cuts).toBeGreaterThan(0);
      for (const encoder of [o200k, cl100k])
        expect(Math.abs(sumOfChunks(encoder, chunks) - count(encoder, text))).toBeLessThanOrEqual(2 * cuts);
    }
  });
});
