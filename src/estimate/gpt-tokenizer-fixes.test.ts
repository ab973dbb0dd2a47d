import { describe, expect, it } from 'vitest';
import { fixEncoder, tiktokenPattern, tiktokenPatternSource } from './gpt-tokenizer-fixes.js';
import { WHITE_SPACE_CLASS } from './text-chunks.js';
import { NEWER_THAN_TIKTOKEN_CLASS } from './unicode-since-tiktoken.js';

describe('tiktokenPatternSource', () => {
  it('spells \\s and \\S as Unicode White_Space, takes newer letters out of \\p{...}, escapes / in classes', () => {
    expect(tiktokenPatternSource(String.raw`\s+(?!\S)`)).toBe(`[${WHITE_SPACE_CLASS}]+(?![^${WHITE_SPACE_CLASS}])`);
    expect(tiktokenPatternSource(String.raw` ?[^\s\p{L}\p{N}]+[\r\n/]*`)).toBe(
      ` ?[^${WHITE_SPACE_CLASS}[\\p{L}--[${NEWER_THAN_TIKTOKEN_CLASS}]][\\p{N}--[${NEWER_THAN_TIKTOKEN_CLASS}]]]+[\\r\\n\\/]*`,
    );
    expect(tiktokenPatternSource(String.raw`\\s\[\s`)).toBe(String.raw`\\s\[` + `[${WHITE_SPACE_CLASS}]`);
  });

  it('gives a pattern where U+0085 is space, U+FEFF is not, and a Unicode 17 letter is a symbol', () => {
    const split = tiktokenPattern(/\s+|\p{L}+|[^\s\p{L}\p{N}]+/gu);
    const pieces = (text: string): string[] => [...text.matchAll(split)].map((match) => match[0]);
    expect(pieces('a\u0085\u0085b')).toEqual(['a', '\u0085\u0085', 'b']);
    expect(pieces('a\ufeff b')).toEqual(['a', '\ufeff', ' ', 'b']);
    expect(pieces('x\u{323b0}\u{323b1}y')).toEqual(['x', '\u{323b0}\u{323b1}', 'y']);
    expect(split.flags).toBe('gv');
  });
});

describe('fixEncoder', () => {
  it('refuses an encoder whose internals it does not know, rather than count wrong', () => {
    expect(() => fixEncoder({}, 'o200k_base')).toThrow(/not supported/);
    expect(() => fixEncoder({ bytePairEncodingCoreProcessor: { tokenSplitRegex: 'x' } }, 'o200k_base')).toThrow(
      /not supported/,
    );
  });
});
