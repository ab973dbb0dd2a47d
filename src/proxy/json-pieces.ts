// Parses a large JSON body without making it one string. V8 puts a string of more than 128 KiB in its
// large-object space, a fresh mapping per string: decoding a 200 KB body cost ~1-2 ms of CPU on the
// bench machine (page faults and unmapping), ten times its JSON.parse (docs/benchmarks.md, "Agent
// loop"). The body is cut along its own structure: each large container's children are parsed in
// pieces of at most `pieceMaxBytes` (consecutive array elements together), and a skeleton (the body with
// every piece replaced by `0`) is parsed, then each piece's value is put in its placeholder's place.
// JSON.parse reads every byte (the skeleton's or a piece's), and a JSON value can stand wherever `0`
// can (RFC 8259 §2-5), so what is accepted and what it means is JSON.parse's own. Anything the cut does
// not expect (invalid JSON, a key twice in a cut object) returns NOT_CUT: the caller parses the whole
// text. Pure.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** JSON whitespace (RFC 8259 §2). */
const SPACE = new Uint8Array(256);
for (const byte of [0x20, 0x09, 0x0a, 0x0d]) SPACE[byte] = 1;
/** Bytes that end a number or literal. */
const VALUE_END = new Uint8Array(256);
for (const byte of [0x20, 0x09, 0x0a, 0x0d, COMMA, CLOSE_OBJECT, CLOSE_ARRAY]) VALUE_END[byte] = 1;
const NESTING = new Uint8Array(256);
for (const byte of [QUOTE, OPEN_OBJECT, OPEN_ARRAY, CLOSE_OBJECT, CLOSE_ARRAY]) NESTING[byte] = 1;

/**
 * Containers cut inside one another at most: each level scans its bytes once more, so nesting must
 * not make the cut quadratic. Deeper large containers are parsed as one piece.
 */
const MAX_CUT_DEPTH = 4;

export const NOT_CUT: unique symbol = Symbol('not cut');

export interface CutLimits {
  /** The most UTF-8 bytes one parsed piece (or a group of array elements) holds. */
  readonly pieceMaxBytes: number;
  /** Values (or groups) smaller than this stay in the skeleton. */
  readonly minPieceBytes: number;
}

/** 60 KiB of UTF-8 decode to at most 120 KiB of string (two bytes a character), below the 128 KiB bound. */
export const DEFAULT_CUT_LIMITS: CutLimits = { pieceMaxBytes: 60 * 1024, minPieceBytes: 1024 };

type Key = string | number;

interface Fill {
  /** Keys from the root to the container of the piece. */
  readonly path: readonly Key[];
  /** The member's key, or the first element's index. */
  readonly key: Key;
  /** Elements in an array group; 0 for an object member. */
  readonly count: number;
  readonly start: number;
  readonly end: number;
}

interface Cut {
  readonly buffer: Buffer;
  readonly bytes: Uint8Array;
  readonly limits: CutLimits;
  readonly skeleton: string[];
  readonly fills: Fill[];
  /** Each cut object and its members: JSON.parse makes one property per distinct key, so fewer means a key twice. */
  readonly objects: { readonly path: readonly Key[]; readonly members: number }[];
  /** Bytes before this are in the skeleton or a piece. */
  cursor: number;
}

/** The value JSON.parse would give for `buffer` (valid UTF-8), or NOT_CUT. */
export function parseJsonInPieces(buffer: Buffer, limits: CutLimits = DEFAULT_CUT_LIMITS): unknown {
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const open = skipSpace(bytes, 0);
  let close = bytes.length - 1;
  while (close > open && SPACE[bytes[close] as number] === 1) close -= 1;
  const brackets = (bytes[open] === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY) === bytes[close];
  if ((bytes[open] !== OPEN_OBJECT && bytes[open] !== OPEN_ARRAY) || close <= open || !brackets) return NOT_CUT;
  const cut: Cut = { buffer, bytes, limits, skeleton: [], fills: [], objects: [], cursor: 0 };
  if (!cutContainer(cut, open, close, [])) return NOT_CUT;
  if (cut.fills.length === 0) return NOT_CUT;
  cut.skeleton.push(buffer.toString('utf8', cut.cursor, buffer.length));
  let root: unknown;
  try {
    root = JSON.parse(cut.skeleton.join(''));
    // A key twice in a cut object: a piece may not be the value JSON.parse keeps (it keeps the last).
    for (const { path, members } of cut.objects) {
      const holder = valueAt(root, path);
      if (holder === null || Object.keys(holder).length !== members) return NOT_CUT;
    }
    for (const fill of cut.fills) if (!place(cut, root, fill)) return NOT_CUT;
  } catch {
    return NOT_CUT;
  }
  return root;
}

/** Cuts the children of the container from `open` to `close` (its brackets); false when it cannot. */
function cutContainer(cut: Cut, open: number, close: number, path: readonly Key[]): boolean {
  const { bytes, buffer, limits } = cut;
  const isObject = bytes[open] === OPEN_OBJECT;
  let at = skipSpace(bytes, open + 1);
  if (at === close) return true;
  let index = 0;
  // An open group of array elements: its first index, start, end and count.
  let groupIndex = 0;
  let groupStart = -1;
  let groupEnd = -1;
  let groupCount = 0;
  const closeGroup = (): void => {
    if (groupStart >= 0 && groupEnd - groupStart >= limits.minPieceBytes) {
      replace(cut, groupStart, groupEnd, groupCount);
      cut.fills.push({ path, key: groupIndex, count: groupCount, start: groupStart, end: groupEnd });
    }
    groupStart = -1;
  };
  for (;;) {
    // A member's key is decoded only when a piece or a cut needs it.
    let keyStart = -1;
    let keyEnd = -1;
    if (isObject) {
      if (bytes[at] !== QUOTE) return false;
      keyStart = at;
      keyEnd = stringEnd(bytes, buffer, at + 1) + 1;
      if (keyEnd <= 0) return false;
      at = skipSpace(bytes, keyEnd);
      if (bytes[at] !== COLON) return false;
      at = skipSpace(bytes, at + 1);
    }
    const start = at;
    const end = valueEnd(bytes, buffer, start);
    if (end < 0 || end > close) return false;
    const size = end - start;
    const container = bytes[start] === OPEN_OBJECT || bytes[start] === OPEN_ARRAY;
    if (size > limits.pieceMaxBytes && container && path.length + 1 < MAX_CUT_DEPTH) {
      closeGroup();
      const key = isObject ? keyText(buffer, keyStart, keyEnd) : index;
      if (key === null || !cutContainer(cut, start, end - 1, [...path, key])) return false;
    } else if (isObject) {
      if (size >= limits.minPieceBytes) {
        const key = keyText(buffer, keyStart, keyEnd);
        if (key === null) return false;
        replace(cut, start, end, 1);
        cut.fills.push({ path, key, count: 0, start, end });
      }
    } else if (size > limits.pieceMaxBytes) {
      closeGroup(); // a long string or number, or a container too deep to cut: a piece of its own
      groupIndex = index;
      groupStart = start;
      groupEnd = end;
      groupCount = 1;
      closeGroup();
    } else {
      if (groupStart >= 0 && end - groupStart > limits.pieceMaxBytes) closeGroup();
      if (groupStart < 0) {
        groupIndex = index;
        groupStart = start;
        groupCount = 0;
      }
      groupEnd = end;
      groupCount += 1;
    }
    index += 1;
    at = skipSpace(bytes, end);
    if (at === close) break;
    if (bytes[at] !== COMMA) return false;
    at = skipSpace(bytes, at + 1);
  }
  closeGroup();
  if (isObject) cut.objects.push({ path, members: index });
  return true;
}

/** Puts the skeleton text before `start` and `count` placeholders (one for a member) for the bytes up to `end`. */
function replace(cut: Cut, start: number, end: number, count: number): void {
  cut.skeleton.push(cut.buffer.toString('utf8', cut.cursor, start), count <= 1 ? '0' : '0,'.repeat(count - 1) + '0');
  cut.cursor = end;
}

/** Parses a piece and puts its value(s) where the skeleton has its placeholder(s). */
function place(cut: Cut, root: unknown, fill: Fill): boolean {
  const holder = valueAt(root, fill.path);
  if (holder === null) return false;
  if (fill.count === 0) {
    const target = holder as Record<string, unknown>;
    if (Array.isArray(holder) || !Object.hasOwn(target, fill.key) || target[fill.key] !== 0) return false;
    target[fill.key] = JSON.parse(cut.buffer.toString('utf8', fill.start, fill.end));
    return true;
  }
  const first = fill.key as number;
  if (!Array.isArray(holder) || holder.length < first + fill.count) return false;
  const values: unknown = JSON.parse(bracketed(cut.buffer, fill.start, fill.end));
  if (!Array.isArray(values) || values.length !== fill.count) return false;
  for (let k = 0; k < fill.count; k += 1) {
    if (holder[first + k] !== 0) return false;
    holder[first + k] = values[k];
  }
  return true;
}

/** Reused for a group's bytes between brackets, so its text is decoded once (a template literal is copied again). */
let scratch = Buffer.allocUnsafe(DEFAULT_CUT_LIMITS.pieceMaxBytes + 2);

/** `[` + the bytes from `start` to `end` + `]`, as text. */
function bracketed(buffer: Buffer, start: number, end: number): string {
  const length = end - start + 2;
  if (length > scratch.length) {
    if (length > DEFAULT_CUT_LIMITS.pieceMaxBytes + 2) return `[${buffer.toString('utf8', start, end)}]`;
    scratch = Buffer.allocUnsafe(length);
  }
  scratch[0] = OPEN_ARRAY;
  buffer.copy(scratch, 1, start, end);
  scratch[length - 1] = CLOSE_ARRAY;
  return scratch.toString('utf8', 0, length);
}

/** The object or array at `path` from `root`, or null. */
function valueAt(root: unknown, path: readonly Key[]): object | null {
  let holder = root;
  for (const key of path) {
    if (typeof holder !== 'object' || holder === null) return null;
    holder = (holder as Record<Key, unknown>)[key];
  }
  return typeof holder === 'object' && holder !== null ? holder : null;
}

function skipSpace(bytes: Uint8Array, from: number): number {
  let at = from;
  while (at < bytes.length && SPACE[bytes[at] as number] === 1) at += 1;
  return at;
}

/** The index just after the value that starts at `at`, or -1. */
function valueEnd(bytes: Uint8Array, buffer: Buffer, at: number): number {
  const byte = bytes[at];
  if (byte === QUOTE) {
    const end = stringEnd(bytes, buffer, at + 1);
    return end < 0 ? -1 : end + 1;
  }
  if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) return containerEnd(bytes, buffer, at);
  let end = at;
  while (end < bytes.length && VALUE_END[bytes[end] as number] === 0) end += 1;
  return end === at ? -1 : end;
}

/** The index just after the bracket that closes the one at `open` (brackets of either kind counted), or -1. */
function containerEnd(bytes: Uint8Array, buffer: Buffer, open: number): number {
  let depth = 0;
  let at = open;
  while (at < bytes.length) {
    const byte = bytes[at] as number;
    if (NESTING[byte] === 0) {
      at += 1;
      continue;
    }
    if (byte === QUOTE) {
      const end = stringEnd(bytes, buffer, at + 1);
      if (end < 0) return -1;
      at = end + 1;
      continue;
    }
    depth += byte === OPEN_OBJECT || byte === OPEN_ARRAY ? 1 : -1;
    at += 1;
    if (depth === 0) return at;
  }
  return -1;
}

/** Index of the quote that closes the string whose first content byte is at `from`, or -1. */
function stringEnd(bytes: Uint8Array, buffer: Buffer, from: number): number {
  let at = from;
  for (;;) {
    const quote = buffer.indexOf(QUOTE, at);
    if (quote < 0) return -1;
    // Escaped when an odd number of backslashes precede it.
    let back = quote - 1;
    while (back >= from && bytes[back] === BACKSLASH) back -= 1;
    if ((quote - 1 - back) % 2 === 0) return quote;
    at = quote + 1;
  }
}

/** A key's text (the quoted bytes from `start` to `end`), or null when it is not a JSON string. */
function keyText(buffer: Buffer, start: number, end: number): string | null {
  try {
    const key: unknown = JSON.parse(buffer.toString('utf8', start, end));
    return typeof key === 'string' ? key : null;
  } catch {
    return null;
  }
}
