// Bounds the cost of one pre-token. BPE merging (gpt-tokenizer, as tiktoken) is quadratic
// in the length of a pre-token, so an attacker's 100K spaces or 80K characters of CJK with
// no punctuation would stall a thread for seconds (measured: 16K CJK characters, one
// pre-token, 4.2 s). This module cuts a text only inside such a run. Pure; no tokenizer here.
//
// Every pre-token of every tiktoken pattern (r50k/p50k, cl100k, o200k) lies within one run
// of one of these classes, plus at most one character before it and a few after:
//   LETTER  \p{L} or \p{M}      NUMBER  \p{N}      SPACE  \s
//   OTHER   not \s, \p{L}, \p{N} (marks are here too)      NEWLINE_OR_SLASH  \r \n /  (o200k's `[\r\n/]*` tail)
// So a text none of whose class runs is longer than `maxRunCodePoints` is never cut, and is
// counted exactly. A longer run is cut every `maxRunCodePoints` code points: only the tokens
// of that run can change (a token or two per cut, upwards in every case measured); the text
// around it is counted as a whole.
// `\s` here is Unicode White_Space and letters are tiktoken's (gpt-tokenizer-fixes.ts).

import { isNewerThanTiktoken } from './unicode-since-tiktoken.js';

/** Longest class run counted whole; a multiple of 3 so a cut digit run keeps o200k/cl100k's 3-digit groups. */
export const DEFAULT_MAX_RUN_CODE_POINTS = 300;

const LETTER = 1;
const NUMBER = 2;
const SPACE = 4;
const OTHER = 8;
const NEWLINE_OR_SLASH = 16;
const KNOWN = 32;

/** Unicode White_Space, the `\s` of tiktoken's regex engine (JavaScript's `\s` adds U+FEFF and lacks U+0085). */
export const WHITE_SPACE_CLASS = String.raw`\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000`;
const WHITE_SPACE = new RegExp(`^[${WHITE_SPACE_CLASS}]$`, 'u');
const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;
const LETTER_ONLY = /^\p{L}$/u;
const DIGIT = /^\p{N}$/u;

/** Class bits by code point, filled on first sight (1.1 MB, zero until used). */
const classes = new Uint8Array(0x110000);

function computeClass(codePoint: number): number {
  if (isNewerThanTiktoken(codePoint)) return KNOWN | OTHER; // a symbol to tiktoken
  const char = String.fromCodePoint(codePoint);
  let bits = KNOWN;
  const space = WHITE_SPACE.test(char);
  const number = DIGIT.test(char);
  if (LETTER_OR_MARK.test(char)) bits |= LETTER;
  if (number) bits |= NUMBER;
  if (space) bits |= SPACE;
  if (!space && !number && !LETTER_ONLY.test(char)) bits |= OTHER;
  if (char === '\r' || char === '\n' || char === '/') bits |= NEWLINE_OR_SLASH;
  return bits;
}

function classOf(codePoint: number): number {
  let bits = classes[codePoint] ?? 0;
  if (bits === 0) classes[codePoint] = bits = computeClass(codePoint);
  return bits;
}

/** Every class bit a run can share. */
const RUN_CLASSES = LETTER | NUMBER | SPACE | OTHER | NEWLINE_OR_SLASH;

/**
 * The text cut into chunks whose class runs are at most `maxRunCodePoints` long (one chunk,
 * the text itself, when no run is longer: the common case). Joining the chunks gives the text back.
 */
export function splitForEncoding(text: string, maxRunCodePoints = DEFAULT_MAX_RUN_CODE_POINTS): string[] {
  if (text.length <= maxRunCodePoints) return [text]; // fewer code units than a long run needs
  if (!mayHaveLongRun(text, maxRunCodePoints)) return [text];
  return cutLongRuns(text, maxRunCodePoints);
}

/**
 * False when no class run can be longer than `maxRunCodePoints`: a run of more code points spans
 * more code units, so it covers a whole aligned window of half that many code units, and every
 * code point in that window shares the run's class. Each window is read only until two of its
 * code points share no class (in prose, after a word and a space): a few percent of the text.
 */
function mayHaveLongRun(text: string, maxRunCodePoints: number): boolean {
  const window = Math.max(1, Math.floor((maxRunCodePoints + 1) / 2));
  for (let start = 0; start + window <= text.length; start += window) {
    const end = start + window;
    let index = start;
    // A window that starts inside a surrogate pair: that code point began before it.
    const first = text.charCodeAt(index);
    if (first >= 0xdc00 && first <= 0xdfff && index > 0) {
      const previous = text.charCodeAt(index - 1);
      if (previous >= 0xd800 && previous <= 0xdbff) index += 1;
    }
    let shared = RUN_CLASSES;
    while (index < end && shared !== 0) {
      const codePoint = text.codePointAt(index) ?? 0;
      shared &= classOf(codePoint);
      index += codePoint > 0xffff ? 2 : 1;
    }
    if (shared !== 0) return true;
  }
  return false;
}

/** The cut itself, scanning every code point (splitForEncoding without its quick check; exported for tests). */
export function cutLongRuns(text: string, maxRunCodePoints = DEFAULT_MAX_RUN_CODE_POINTS): string[] {
  const chunks: string[] = [];
  let start = 0;
  let letters = 0;
  let numbers = 0;
  let spaces = 0;
  let others = 0;
  let tails = 0;
  for (let index = 0; index < text.length;) {
    const codePoint = text.codePointAt(index) ?? 0;
    const bits = classOf(codePoint);
    letters = bits & LETTER ? letters + 1 : 0;
    numbers = bits & NUMBER ? numbers + 1 : 0;
    spaces = bits & SPACE ? spaces + 1 : 0;
    others = bits & OTHER ? others + 1 : 0;
    tails = bits & NEWLINE_OR_SLASH ? tails + 1 : 0;
    if (Math.max(letters, numbers, spaces, others, tails) > maxRunCodePoints) {
      chunks.push(text.slice(start, index));
      start = index;
      letters = letters && 1;
      numbers = numbers && 1;
      spaces = spaces && 1;
      others = others && 1;
      tails = tails && 1;
    }
    index += codePoint > 0xffff ? 2 : 1;
  }
  chunks.push(text.slice(start));
  return chunks;
}
