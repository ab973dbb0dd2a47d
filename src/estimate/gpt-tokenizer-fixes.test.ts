import { describe, expect, it } from 'vitest';
import { fixEncoder, withUnicodeWhiteSpace } from './gpt-tokenizer-fixes.js';
import { WHITE_SPACE_CLASS } from './text-chunks.js';

describe('withUnicodeWhiteSpace', () => {
  it('spells \\s and \\S as Unicode White_Space inside and outside classes, and keeps other escapes', () => {
    expect(withUnicodeWhiteSpace(String.raw`\s+(?!\S)`)).toBe(`[${WHITE_SPACE_CLASS}]+(?![^${WHITE_SPACE_CLASS}])`);
    expect(withUnicodeWhiteSpace(String.raw` ?[^\s\p{L}\p{N}]+[\r\n]*`)).toBe(
      ` ?[^${WHITE_SPACE_CLASS}\\p{L}\\p{N}]+[\\r\\n]*`,
    );
    expect(withUnicodeWhiteSpace(String.raw`\\s\[\s`)).toBe(String.raw`\\s\[` + `[${WHITE_SPACE_CLASS}]`);
  });

  it('matches U+0085 and not U+FEFF, as tiktoken does', () => {
    const space = new RegExp(`^${withUnicodeWhiteSpace(String.raw`\s`)}$`, 'u');
    expect(space.test('\u0085')).toBe(true);
    expect(space.test('\ufeff')).toBe(false);
    expect(space.test('\u3000')).toBe(true);
    expect(space.test('x')).toBe(false);
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
