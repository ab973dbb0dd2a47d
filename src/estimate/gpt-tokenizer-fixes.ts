// The places where gpt-tokenizer 4.0 counts differently from tiktoken, corrected on a loaded
// encoder (found by tokenizer-oracle.test.ts, which keeps them corrected). Both reach into the
// encoder's internals: if a new version moves them, `fixEncoder` throws and start-up fails
// rather than counting wrong. Pure.
import { WHITE_SPACE_CLASS } from './text-chunks.js';
import { NEWER_THAN_TIKTOKEN_CLASS } from './unicode-since-tiktoken.js';

interface EncoderCore {
  tokenSplitRegex: RegExp;
  getBpeRankFromBytes(key: Uint8Array): number | undefined;
  binarySearch(key: Uint8Array): number;
  bytePairNonUtfSortedEncoder: readonly (readonly [Uint8Array, number])[];
}

/**
 * 1. Pre-tokens are split with JavaScript's `\s`, which (unlike tiktoken's regex engine, Unicode
 *    White_Space) matches U+FEFF and misses U+0085; and with this runtime's Unicode, which may know
 *    letters tiktoken's does not (unicode-since-tiktoken.ts). The split pattern is rebuilt over
 *    White_Space, with those letters taken out of every `\p{...}` class.
 * 2. Byte strings are looked up through a TextDecoder that drops a leading byte order mark, so
 *    every token that starts with EF BB BF ("\uFEFF//", "\uFEFFusing", ...) is missed: "\uFEFF\uFEFF"
 *    is 4 tokens instead of 1 in o200k_base. Those tokens are stored as byte arrays; look them up there.
 */
export function fixEncoder(encoder: unknown, name: string): void {
  const core = (encoder as { bytePairEncodingCoreProcessor?: Partial<EncoderCore> }).bytePairEncodingCoreProcessor;
  if (
    core === undefined ||
    !(core.tokenSplitRegex instanceof RegExp) ||
    typeof core.getBpeRankFromBytes !== 'function' ||
    typeof core.binarySearch !== 'function' ||
    !Array.isArray(core.bytePairNonUtfSortedEncoder)
  )
    throw new Error(`gpt-tokenizer ${name}: internals not found; this version is not supported`);
  const fixed = core as EncoderCore;
  fixed.tokenSplitRegex = tiktokenPattern(fixed.tokenSplitRegex);
  const lookUp = fixed.getBpeRankFromBytes.bind(fixed);
  fixed.getBpeRankFromBytes = (key) => {
    if (key[0] !== 0xef || key[1] !== 0xbb || key[2] !== 0xbf) return lookUp(key);
    const index = fixed.binarySearch(key);
    return index === -1 ? undefined : fixed.bytePairNonUtfSortedEncoder[index]?.[1];
  };
}

/** The same split pattern with tiktoken's character classes (a `v`-flag regex, for set subtraction). */
export function tiktokenPattern(pattern: RegExp): RegExp {
  return new RegExp(tiktokenPatternSource(pattern.source), pattern.flags.replace('u', 'v'));
}

/**
 * A `u`-flag regex source rewritten for the `v` flag: `\s` / `\S` spelled as Unicode White_Space,
 * every `\p{...}` without the code points tiktoken does not know, `/` escaped inside classes.
 */
export function tiktokenPatternSource(source: string): string {
  let out = '';
  let inClass = false;
  for (let index = 0; index < source.length; index++) {
    const char = source[index];
    if (char === '\\') {
      const next = source[index + 1] ?? '';
      index++;
      if (next === 's') out += inClass ? WHITE_SPACE_CLASS : `[${WHITE_SPACE_CLASS}]`;
      else if (next === 'S' && !inClass) out += `[^${WHITE_SPACE_CLASS}]`;
      else if (next === 'S') throw new Error('\\S inside a character class is not supported');
      else if (next === 'p' || next === 'P') {
        const end = source.indexOf('}', index);
        if (next === 'P' || source[index + 1] !== '{' || end === -1) throw new Error('only \\p{...} is supported');
        out += `[\\p${source.slice(index + 1, end + 1)}--[${NEWER_THAN_TIKTOKEN_CLASS}]]`;
        index = end;
      } else out += `\\${next}`;
      continue;
    }
    if (char === '[' && !inClass) inClass = true;
    else if (char === ']' && inClass) inClass = false;
    out += inClass && char === '/' ? '\\/' : char;
  }
  return out;
}
