// Parses a client's JSON request body so that what runcap prices is exactly what the provider
// will read from the same bytes (docs/bounds.md, "The body priced is the body sent"). runcap
// forwards the client's bytes as they are, so any text two JSON parsers read differently is
// refused: invalid UTF-8 (decoders replace it differently) and duplicate object keys at any
// depth (JSON.parse keeps the last, other parsers the first: RFC 8259 §4 leaves it undefined).
// One native UTF-8 check, one JSON.parse (of pieces for a large body, json-pieces.ts), one pass over
// the bytes; no re-serialisation.
import { isAscii, isUtf8 } from 'node:buffer';
import { invalidRequest } from '../errors.js';
import { NOT_CUT, parseJsonInPieces } from './json-pieces.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** Strings shorter than this are scanned byte by byte; longer ones jump from quote to quote natively. */
const SHORT_STRING = 24;
/** Objects with more keys than this look keys up by hash instead of a linear scan. */
const LINEAR_KEYS = 16;
/** Each key takes 4 slots in a frame's key list: hash, start, end, has-escape. */
const SLOTS = 4;
/**
 * A body whose text could take more than this many bytes as one string is parsed in pieces: V8 allocates
 * a string of more than 128 KiB on pages of its own (~1-2 ms a body on the bench machine). A character
 * takes one byte of string when the body is ASCII, up to two otherwise.
 */
const ONE_STRING_MAX_BYTES = 120 * 1024;
/** Bytes the scan acts on (quote, braces, brackets, comma): every other byte is skipped by one lookup. */
const STRUCTURAL = new Uint8Array(256);
for (const byte of [QUOTE, COMMA, OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY]) STRUCTURAL[byte] = 1;

export function parseRequestJson(body: Uint8Array): unknown {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (!isUtf8(bytes)) throw invalidRequest('The request body is not valid UTF-8.');
  let parsed = mayMakeLargeString(bytes) ? parseJsonInPieces(bytes) : NOT_CUT;
  if (parsed === NOT_CUT) {
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw invalidRequest(`The request body is not valid JSON: ${(error as Error).message}`);
    }
  }
  const duplicate = firstDuplicateKey(bytes);
  if (duplicate !== null) {
    throw invalidRequest(
      `The request body has the key "${duplicate}" twice in one object. JSON parsers disagree on which one counts, ` +
        'so the call runcap prices might not be the call the provider runs: send each key once.',
    );
  }
  return parsed;
}

function mayMakeLargeString(bytes: Buffer): boolean {
  return bytes.length > ONE_STRING_MAX_BYTES || (bytes.length > ONE_STRING_MAX_BYTES / 2 && !isAscii(bytes));
}

/**
 * The first key that appears twice in one object (compared after unescaping), or null. The input
 * must be valid JSON (checked by JSON.parse first): the scan tracks only strings and nesting.
 */
export function firstDuplicateKey(buffer: Buffer): string | null {
  // Plain typed-array indexing is what V8 optimises best; the Buffer stays for its native search.
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const isObject: boolean[] = [];
  const expectKey: boolean[] = [];
  const keys: number[][] = [];
  const byHash: (Map<number, number[]> | null)[] = [];
  let depth = -1;
  let at = 0;
  const length = bytes.length;
  while (at < length) {
    const byte = bytes[at] as number;
    if (STRUCTURAL[byte] === 0) {
      at += 1;
      continue;
    }
    if (byte === QUOTE) {
      const end = stringEnd(bytes, buffer, at + 1);
      if (depth >= 0 && isObject[depth] === true && expectKey[depth] === true) {
        expectKey[depth] = false;
        if (addKey(buffer, bytes, keys[depth] as number[], byHash, depth, at + 1, end)) {
          return keyText(buffer, at + 1, end);
        }
      }
      at = end + 1;
      continue;
    }
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      isObject[depth] = byte === OPEN_OBJECT;
      expectKey[depth] = true;
      const list = keys[depth];
      if (list === undefined) keys[depth] = [];
      else list.length = 0;
      byHash[depth] = null;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth -= 1;
    } else if (byte === COMMA && depth >= 0 && isObject[depth] === true) {
      expectKey[depth] = true;
    }
    at += 1;
  }
  return null;
}

/** Index of the quote that closes the string whose first content byte is at `from`. */
function stringEnd(bytes: Uint8Array, buffer: Buffer, from: number): number {
  let at = from;
  const shortEnd = Math.min(bytes.length, from + SHORT_STRING);
  while (at < shortEnd) {
    const byte = bytes[at];
    if (byte === QUOTE) return at;
    at += byte === BACKSLASH ? 2 : 1;
  }
  for (;;) {
    const quote = buffer.indexOf(QUOTE, at);
    if (quote < 0) return bytes.length; // unreachable for valid JSON
    // Escaped when an odd number of backslashes precede it.
    let back = quote - 1;
    while (bytes[back] === BACKSLASH) back -= 1;
    if ((quote - 1 - back) % 2 === 0) return quote;
    at = quote + 1;
  }
}

/** Records a key in its object's list; true when the object already has it. */
function addKey(
  buffer: Buffer,
  bytes: Uint8Array,
  list: number[],
  byHash: (Map<number, number[]> | null)[],
  depth: number,
  start: number,
  end: number,
): boolean {
  let hash = 0x811c9dc5;
  let escaped = 0;
  for (let at = start; at < end; at += 1) {
    const byte = bytes[at] as number;
    if (byte === BACKSLASH) escaped = 1;
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  // An escaped key hashes by its canonical form (the UTF-8 of its decoded text), like unescaped ones.
  if (escaped === 1) hash = hashOf(canonical(buffer, start, end));
  const index = list.length;
  let map = byHash[depth] ?? null;
  if (map === null) {
    for (let k = 0; k < index; k += SLOTS) {
      if (list[k] === hash && sameKey(buffer, list, k, start, end, escaped)) return true;
    }
    if (index / SLOTS >= LINEAR_KEYS) {
      map = new Map();
      for (let k = 0; k < index; k += SLOTS) pushIndex(map, list[k] as number, k);
      byHash[depth] = map;
    }
  } else {
    for (const k of map.get(hash) ?? []) if (sameKey(buffer, list, k, start, end, escaped)) return true;
  }
  list.push(hash, start, end, escaped);
  if (map !== null) pushIndex(map, hash, index);
  return false;
}

function pushIndex(map: Map<number, number[]>, hash: number, index: number): void {
  const found = map.get(hash);
  if (found === undefined) map.set(hash, [index]);
  else found.push(index);
}

function sameKey(bytes: Buffer, list: number[], k: number, start: number, end: number, escaped: number): boolean {
  const otherStart = list[k + 1] as number;
  const otherEnd = list[k + 2] as number;
  if (escaped === 0 && list[k + 3] === 0) {
    if (otherEnd - otherStart !== end - start) return false;
    return bytes.compare(bytes, otherStart, otherEnd, start, end) === 0;
  }
  return canonical(bytes, otherStart, otherEnd).equals(canonical(bytes, start, end));
}

/** The UTF-8 bytes of a key's decoded text (a lone surrogate escape becomes U+FFFD, as in any encoder). */
function canonical(bytes: Buffer, start: number, end: number): Buffer {
  return Buffer.from(keyText(bytes, start, end), 'utf8');
}

function keyText(bytes: Buffer, start: number, end: number): string {
  return JSON.parse(bytes.toString('utf8', start - 1, end + 1)) as string;
}

function hashOf(bytes: Buffer): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash;
}
