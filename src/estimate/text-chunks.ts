// Splits long text into chunks that BPE can encode independently, so one huge
// pre-token (80K chars of CJK, 100K spaces) cannot stall the event loop for
// seconds: tiktoken's merge is quadratic in the length of a pre-token. Pure; no tokenizer here.
//
// Exact cut points: every tiktoken pattern (r50k, p50k, cl100k, o200k) ends a
// pre-token at these positions and starts a new one there, so counting the
// chunks separately gives the same total as counting the whole text:
//   - after an ASCII letter, before an ASCII char that is not a letter or an apostrophe
//     (letter pre-tokens contain only letters/marks; a contraction starts with ');
//   - after an ASCII digit, before an ASCII char that is not a digit;
//   - before a space that is followed by a letter (" word" always starts a pre-token).
// A run with none of these for `maxRunChars` (CJK prose, long symbol runs) is cut
// anyway: the count may then differ by about one token per cut, usually upwards.

export interface ChunkOptions {
  /** Preferred chunk size; a chunk ends at the first exact cut point past it. */
  readonly targetChars: number;
  /** Longest stretch without an exact cut point before a forced cut. */
  readonly maxRunChars: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { targetChars: 4096, maxRunChars: 256 };

const SPACE = 0x20;
const APOSTROPHE = 0x27;
const LETTER_AFTER_SPACE = /\p{L}/u;

function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Whether a pre-token always begins at `index` (0 < index < text.length). */
export function isExactCut(text: string, index: number): boolean {
  const previous = text.charCodeAt(index - 1);
  const current = text.charCodeAt(index);
  if (current < 0x80) {
    if (isAsciiLetter(previous) && !isAsciiLetter(current) && current !== APOSTROPHE) return true;
    if (isDigit(previous) && !isDigit(current)) return true;
  }
  if (current === SPACE && index + 1 < text.length) {
    const next = text.charCodeAt(index + 1);
    if (next < 0x80) return isAsciiLetter(next);
    const nextChar = String.fromCodePoint(text.codePointAt(index + 1) ?? next);
    return LETTER_AFTER_SPACE.test(nextChar);
  }
  return false;
}

/** The text cut into chunks (a single chunk when short); joining them gives the text back. */
export function splitForEncoding(text: string, options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): string[] {
  const { targetChars, maxRunChars } = options;
  if (text.length <= maxRunChars) return [text];
  const chunks: string[] = [];
  let start = 0;
  let lastCut = 0;
  for (let index = 1; index < text.length; index++) {
    if (isExactCut(text, index)) {
      lastCut = index;
      if (index - start >= targetChars) {
        chunks.push(text.slice(start, index));
        start = index;
      }
    } else if (index - lastCut >= maxRunChars && !isLowSurrogate(text.charCodeAt(index))) {
      chunks.push(text.slice(start, index));
      start = index;
      lastCut = index;
    }
  }
  chunks.push(text.slice(start));
  return chunks;
}
