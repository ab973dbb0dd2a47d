// Incremental server-sent-events splitter: bytes in arbitrary chunks -> complete events,
// each with its parsed fields AND its exact raw bytes. It never rewrites bytes; what to
// forward or drop is the stream meter's business.
//
// Implements the WHATWG HTML "event stream" interpretation rules
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)
// as the OpenAI stream format uses them: UTF-8, lines end in CRLF, LF or CR, a blank line
// ends an event, `:` starts a comment, `field: value` strips one leading space, several
// `data` lines join with "\n", one leading BOM is ignored. `retry` is ignored.
//
// Cost: every byte is scanned once (memchr-style `indexOf` for CR and LF) and copied at most
// twice (once when an event spans chunks, once when it is joined); each event's text is
// decoded once, when the event is complete. No growing buffer is re-scanned.

const LF = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf] as const;
const EMPTY = Buffer.alloc(0);

export interface SseEvent {
  /** The exact bytes of the event as received, through its terminating blank line. */
  readonly raw: Uint8Array;
  /** The `event` field; null when absent or empty (WHATWG then dispatches type "message"). */
  readonly event: string | null;
  /** The `data` lines joined by "\n"; null when the event had no data line (comments, keep-alives). */
  readonly data: string | null;
  /** The `id` field; null when absent. */
  readonly id: string | null;
  /**
   * False only for the unterminated tail returned by `flush()` (the upstream ended mid-event).
   * A browser would discard it; a meter may still read it but must not drop it.
   */
  readonly complete: boolean;
}

export interface SseSplitter {
  /** Feeds bytes; returns the events completed by them, in order. */
  push(chunk: Uint8Array): SseEvent[];
  /** End of stream: returns a held event and any unterminated tail (as `complete: false`). */
  flush(): SseEvent[];
}

export function createSseSplitter(): SseSplitter {
  /** Bytes of the event in progress that arrived in earlier chunks (copied). */
  let parts: Buffer[] = [];
  /** Bytes of the current line seen so far (0 = at the start of a line). */
  let lineLength = 0;
  /** The previous byte was a CR ending a line: an LF now is part of the same line ending. */
  let afterCR = false;
  /** A blank line ended in CR at the end of a chunk: the event is held until we see whether LF follows. */
  let heldBlankCR = false;
  /** Leading BOM bytes matched so far; -1 once the stream start is past. */
  let bomMatched = 0;
  let firstEvent = true;

  function complete(tail: Buffer, isComplete: boolean): SseEvent {
    const raw = parts.length === 0 ? tail : Buffer.concat(tail.length === 0 ? parts : [...parts, tail]);
    parts = [];
    let text = raw.toString('utf8');
    if (firstEvent) {
      firstEvent = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return { raw, ...parseFields(text), complete: isComplete };
  }

  /** Skips a leading UTF-8 BOM (possibly split across chunks); returns the index to scan from. */
  function skipBom(buf: Buffer): number {
    let i = 0;
    while (bomMatched >= 0 && bomMatched < BOM.length && i < buf.length) {
      if (buf[i] !== BOM[bomMatched]) {
        lineLength += bomMatched; // those bytes were ordinary line content after all
        bomMatched = -1;
        return i;
      }
      bomMatched += 1;
      i += 1;
    }
    if (bomMatched === BOM.length) bomMatched = -1;
    return i;
  }

  function push(chunk: Uint8Array): SseEvent[] {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const events: SseEvent[] = [];
    if (buf.length === 0) return events;
    let start = 0;
    let i = 0;
    if (heldBlankCR) {
      heldBlankCR = false;
      afterCR = false;
      const end = buf[0] === LF ? 1 : 0;
      events.push(complete(buf.subarray(0, end), true));
      start = i = end;
    }
    if (bomMatched >= 0) i = Math.max(i, skipBom(buf));
    let nextCR = buf.indexOf(CR, i);
    let nextLF = buf.indexOf(LF, i);
    while (i < buf.length) {
      if (afterCR) {
        afterCR = false;
        if (buf[i] === LF) {
          i += 1;
          continue;
        }
      }
      if (nextCR !== -1 && nextCR < i) nextCR = buf.indexOf(CR, i);
      if (nextLF !== -1 && nextLF < i) nextLF = buf.indexOf(LF, i);
      const end = nextCR === -1 ? nextLF : nextLF === -1 ? nextCR : Math.min(nextCR, nextLF);
      if (end === -1) {
        lineLength += buf.length - i;
        break;
      }
      lineLength += end - i;
      const endsInCR = buf[end] === CR;
      i = end + 1;
      if (lineLength > 0) {
        lineLength = 0;
        afterCR = endsInCR;
        continue;
      }
      // A blank line: the event ends here (after the LF of a CRLF, if there is one).
      if (endsInCR) {
        if (i === buf.length) {
          heldBlankCR = true;
          break;
        }
        if (buf[i] === LF) i += 1;
      }
      events.push(complete(buf.subarray(start, i), true));
      start = i;
    }
    // Copy: the caller may reuse its chunk, and a subarray would pin the whole chunk anyway.
    if (start < buf.length) parts.push(Buffer.from(buf.subarray(start)));
    return events;
  }

  function flush(): SseEvent[] {
    const events: SseEvent[] = [];
    if (heldBlankCR) {
      heldBlankCR = false;
      events.push(complete(EMPTY, true));
    } else if (parts.length > 0) {
      events.push(complete(EMPTY, false));
    }
    parts = [];
    lineLength = 0;
    afterCR = false;
    return events;
  }

  return { push, flush };
}

/** Interprets the lines of one event (WHATWG "process the field"). */
function parseFields(text: string): Pick<SseEvent, 'event' | 'data' | 'id'> {
  let event: string | null = null;
  let id: string | null = null;
  const data: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line.length === 0 || line.charCodeAt(0) === 0x3a /* ':' comment */) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value === '' ? null : value;
    else if (field === 'id' && !value.includes('\u0000')) id = value;
  }
  return { event, data: data.length === 0 ? null : data.join('\n'), id };
}
