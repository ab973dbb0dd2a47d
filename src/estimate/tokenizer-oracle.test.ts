// The differential test of SPEC §4: runcap counts with gpt-tokenizer (encoders.ts), and every
// count must equal tiktoken's `encode_ordinary` (the oracle, a dev dependency) for every
// encoding runcap uses: random strings and a corpus of real texts.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { get_encoding, type Tiktoken } from 'tiktoken';
import { describe, expect, it } from 'vitest';
import type { Encoding } from '../pricing/types.js';
import { encodeCount } from './encoders.js';
import { splitForEncoding } from './text-chunks.js';

const ENCODINGS: readonly Encoding[] = ['o200k_base', 'cl100k_base', 'p50k_base', 'r50k_base'];
const oracles = new Map<Encoding, Tiktoken>(ENCODINGS.map((encoding) => [encoding, get_encoding(encoding)]));
const oracle = (text: string, encoding: Encoding): number => oracles.get(encoding)?.encode_ordinary(text).length ?? -1;

function expectOracleCounts(text: string): void {
  for (const encoding of ENCODINGS) {
    const counted = encodeCount(text, encoding);
    if (counted !== oracle(text, encoding))
      expect({ encoding, text, counted }).toEqual({ encoding, text, counted: oracle(text, encoding) });
  }
}

const SPECIAL_LOOK_ALIKES = [
  '<|endoftext|>',
  '<|fim_prefix|>',
  '<|fim_middle|>',
  '<|fim_suffix|>',
  '<|im_start|>',
  '<|im_end|>',
  '<|im_sep|>',
  '<|endofprompt|>',
  '<|start|>',
  '<|message|>',
  '<|channel|>',
  '<|end|>',
  '<|return|>',
  '<|call|>',
  '<|constrain|>',
  '<|endof',
  '|>',
  '<|',
];

const FRAGMENTS = [
  ...SPECIAL_LOOK_ALIKES,
  'the',
  ' The',
  'HTTP',
  "don't",
  "'S",
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\u00a0',
  '\u0085',
  '\ufeff',
  '\u2028',
  '\u3000',
  '.',
  '...',
  '=>',
  '/',
  '//',
  '{"a":',
  '1234',
  '3.14',
  'é',
  'e\u0301',
  'naïve',
  'привет',
  '日本語',
  '、',
  '。',
  'ภาษาไทย',
  'العربية',
  '😀',
  '👩‍👩‍👧',
  '🇺🇳',
  '𝟎𝟏',
  '\u0000',
];

/**
 * Strings of fragments, whole-alphabet unicode and runs of one fragment (up to 250 repeats);
 * only those text-chunks.ts leaves whole (no class run over 300 code points: all real text
 * but pathological runs, whose counts are bounded, not exact; see text-chunks.test.ts).
 */
const mixed = fc
  .array(
    fc.oneof(
      fc.constantFrom(...FRAGMENTS),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc
        .tuple(fc.constantFrom(...FRAGMENTS), fc.integer({ min: 2, max: 250 }))
        .map(([unit, times]) => unit.repeat(Math.max(1, Math.floor(times / Math.max(1, [...unit].length))))),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''))
  .filter((text) => splitForEncoding(text).length === 1);

const repoFile = (path: string): string =>
  readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

const CORPUS: Record<string, string> = {
  code: repoFile('src/estimate/chat.ts') + repoFile('src/pipeline/proxy-call.ts'),
  json: repoFile('package.json') + JSON.stringify(JSON.parse(repoFile('package.json')), null, 8),
  prices: readdirSync(fileURLToPath(new URL('../../prices/', import.meta.url)))
    .filter((name) => name.endsWith('.json'))
    .map((name) => repoFile(`prices/${name}`))
    .join('\n'),
  docs: repoFile('README.md'),
  cjk:
    '東京都の新宿区にある駅前広場で、多くの人が集まりました。人工知能の研究は急速に進んでいます。' +
    '我们今天讨论的是大型语言模型的预算控制问题，以及如何在代理循环中避免失控的支出。' +
    '한국어 문장도 포함합니다. 토큰 수를 정확하게 세어야 합니다.',
  cjkWithoutPunctuation: '誕生日おめでとう人工知能研究急速進展'.repeat(16),
  emoji: '🚀 Launch 🎉🎉🎉 party! 👩‍💻👨‍👩‍👧‍👦 🇯🇵🇫🇷 ❤️‍🔥 ✨✨ 🫠'.repeat(20),
  whitespace: `a${' '.repeat(299)}b\n\n\n${'\t'.repeat(120)}c${'\n'.repeat(200)}d ${'\u3000'.repeat(50)} e \r\n\r\n   `,
  specials: SPECIAL_LOOK_ALIKES.join(' ') + SPECIAL_LOOK_ALIKES.join('') + '<|endoftext|>'.repeat(30),
  repeated: `${'a'.repeat(300)} ${'='.repeat(200)} ${'-'.repeat(150)}\n${'ha'.repeat(140)} ${'9'.repeat(299)}`,
  byteOrderMarks: '\ufeffHello\ufeff\ufeff world \ufeff \u0085next\u0085\u0085 line',
  // Letters of Unicode 17 (CJK Extension J, Sidetic, Tolong Siki), which tiktoken's Unicode 16 does not know.
  newerUnicode: '\u{323b0}\ufeffusing \u{323b1}\u{323b2}abc \u{10940}\u{10941}\ufeff// \u{11db0}x\u{11db1}',
};

describe('gpt-tokenizer counts equal tiktoken (the oracle)', () => {
  it.each(Object.entries(CORPUS))('on the %s corpus', (_name, text) => {
    expectOracleCounts(text);
  });

  it('on every special-token look-alike, counted as ordinary text and never thrown on', () => {
    for (const token of SPECIAL_LOOK_ALIKES) {
      expectOracleCounts(token);
      expectOracleCounts(`user says ${token} then more`);
    }
    expect(encodeCount('<|endoftext|>', 'o200k_base')).toBe(7);
  });

  it('on random strings: full unicode, emoji, CJK, whitespace runs, repeats, special tokens', () => {
    fc.assert(fc.property(mixed, expectOracleCounts), { numRuns: 400 });
  });

  it('on long random texts assembled from the corpus', () => {
    const pieces = Object.values(CORPUS);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(pieces.length - 1), fc.nat(400), fc.nat(400)), { maxLength: 8 }), (cuts) => {
        // Joined with a separator that ends every class run, so no run is longer than text-chunks.ts cuts.
        const parts = cuts.map(([which, from, length]) => (pieces[which] ?? '').slice(from, from + length));
        expectOracleCounts(parts.join('\n§ '));
      }),
      { numRuns: 60 },
    );
  });
});
