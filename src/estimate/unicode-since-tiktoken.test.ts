// Checks unicode-since-tiktoken.ts against the oracle on this runtime: every code point this
// regex engine counts as a letter, mark or number is one to tiktoken too, except exactly the
// listed ones. A runtime with a newer Unicode fails here: regenerate with
// scripts/unicode-since-tiktoken.mjs.
import { get_encoding } from 'tiktoken';
import { describe, expect, it } from 'vitest';
import { isNewerThanTiktoken } from './unicode-since-tiktoken.js';

const o200k = get_encoding('o200k_base');
/** tiktoken splits " <ch>\uFEFFusing" before "\uFEFFusing" (token 9251) unless <ch> is a symbol to it. */
const wordishToTiktoken = (char: string): boolean => o200k.encode_ordinary(` ${char}\ufeffusing`).includes(9251);

describe('code points newer than tiktoken', () => {
  it('are exactly the letters, marks and numbers of this runtime that tiktoken treats as symbols', () => {
    const wordish = /^[\p{L}\p{M}\p{N}]$/u;
    const wrong: string[] = [];
    for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
      const char = String.fromCodePoint(codePoint);
      if (!wordish.test(char)) continue;
      if (wordishToTiktoken(char) === isNewerThanTiktoken(codePoint)) wrong.push(codePoint.toString(16));
    }
    expect(wrong).toEqual([]);
  });
});
