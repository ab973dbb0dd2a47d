import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSseSplitter, type SseEvent } from './sse.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Splits `bytes` at the given cut positions and feeds the pieces to a fresh splitter. */
function splitAt(bytes: Uint8Array, cuts: readonly number[]): SseEvent[] {
  const splitter = createSseSplitter();
  const events: SseEvent[] = [];
  let last = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    events.push(...splitter.push(bytes.subarray(last, cut)));
    last = cut;
  }
  events.push(...splitter.push(bytes.subarray(last)));
  events.push(...splitter.flush());
  return events;
}

const view = (e: SseEvent) => ({
  raw: dec.decode(e.raw),
  event: e.event,
  data: e.data,
  id: e.id,
  complete: e.complete,
});

describe('createSseSplitter', () => {
  it('splits the OpenAI chat format (LF) and keeps each event raw', () => {
    const text = 'data: {"a":1}\n\ndata: [DONE]\n\n';
    expect(splitAt(enc.encode(text), []).map(view)).toEqual([
      { raw: 'data: {"a":1}\n\n', event: null, data: '{"a":1}', id: null, complete: true },
      { raw: 'data: [DONE]\n\n', event: null, data: '[DONE]', id: null, complete: true },
    ]);
  });

  it('reads event/data/id fields, comments, multi-line data and fields without a colon', () => {
    const text = ': keep-alive\r\nevent: response.completed\r\ndata:{"x":\r\ndata:  2}\r\nid: 7\r\ndata\r\n\r\n';
    const [event] = splitAt(enc.encode(text), []);
    expect(event && view(event)).toEqual({
      raw: text,
      event: 'response.completed',
      data: '{"x":\n 2}\n',
      id: '7',
      complete: true,
    });
  });

  it('returns comment-only blocks as events without data so they can be forwarded', () => {
    expect(splitAt(enc.encode(': ping\n\n'), []).map(view)).toEqual([
      { raw: ': ping\n\n', event: null, data: null, id: null, complete: true },
    ]);
  });

  it('accepts CR-only line endings and holds a trailing blank CR until the next byte', () => {
    const splitter = createSseSplitter();
    expect(splitter.push(enc.encode('data: a\r\r'))).toEqual([]); // could still be \r\n
    const next = splitter.push(enc.encode('\ndata: b\r\r'));
    expect(next.map(view)).toEqual([{ raw: 'data: a\r\r\n', event: null, data: 'a', id: null, complete: true }]);
    expect(splitter.flush().map(view)).toEqual([
      { raw: 'data: b\r\r', event: null, data: 'b', id: null, complete: true },
    ]);
  });

  it('decodes a multi-byte character split across chunks once the event is complete', () => {
    const bytes = enc.encode('data: h€llo 😀\n\n');
    for (let cut = 1; cut < bytes.length; cut += 1) {
      expect(splitAt(bytes, [cut]).map((e) => e.data)).toEqual(['h€llo 😀']);
    }
  });

  it('strips one leading BOM, even split across chunks, but keeps it in the raw bytes', () => {
    const bytes = enc.encode('\uFEFFdata: x\n\n');
    const events = splitAt(bytes, [1, 2]);
    expect(events.map((e) => e.data)).toEqual(['x']);
    expect(Buffer.from(events[0]?.raw ?? []).equals(Buffer.from(bytes))).toBe(true);
  });

  it('treats a blank line right after a partial BOM as content, not an event end', () => {
    const events = splitAt(Uint8Array.from([0xef, 0x0a, 0x0a]), [1]);
    expect(events.map((e) => [e.raw.length, e.data, e.complete])).toEqual([[3, null, true]]);
  });

  it('returns an unterminated tail on flush as an incomplete event', () => {
    const splitter = createSseSplitter();
    expect(splitter.push(enc.encode('data: {"usage":{}}\n\ndata: {"cut"'))).toHaveLength(1);
    expect(splitter.flush().map(view)).toEqual([
      { raw: 'data: {"cut"', event: null, data: '{"cut"', id: null, complete: false },
    ]);
    expect(splitter.flush()).toEqual([]);
  });

  it('handles an event far larger than its chunks without losing bytes', () => {
    const payload = 'x'.repeat(200_000);
    const bytes = enc.encode(`data: ${payload}\n\n`);
    const cuts = Array.from({ length: 2000 }, (_, i) => i * 100);
    const events = splitAt(bytes, cuts);
    expect(events).toHaveLength(1);
    expect(events[0]?.data?.length).toBe(200_000);
  });
});

// --- property: random events, random line endings, random chunk boundaries --------------

const valueChar = fc.constantFrom('a', 'Z', '0', ' ', ':', '{', '"', 'é', '€', '😀', '中');
const value = fc.array(valueChar, { maxLength: 12 }).map((chars) => chars.join(''));
const line = fc.oneof(
  fc.record({ kind: fc.constant('data' as const), value }),
  fc.record({ kind: fc.constant('event' as const), value }),
  fc.record({ kind: fc.constant('id' as const), value }),
  fc.record({ kind: fc.constant('comment' as const), value }),
);
const ending = fc.constantFrom('\n', '\r', '\r\n');
const generatedEvent = fc.array(fc.record({ line, ending, compact: fc.boolean() }), { minLength: 1, maxLength: 5 });

interface Expected {
  readonly raw: string;
  readonly event: string | null;
  readonly data: string | null;
  readonly id: string | null;
}

function serialize(
  events: ReadonlyArray<ReadonlyArray<{ line: { kind: string; value: string }; ending: string; compact: boolean }>>,
  blankEndings: readonly string[],
): Expected[] {
  return events.map((lines, index) => {
    let raw = '';
    let eventType: string | null = null;
    let id: string | null = null;
    const data: string[] = [];
    let previousEnding = '';
    for (const { line: l, ending: e, compact } of lines) {
      const sep = compact && !l.value.startsWith(' ') ? ':' : ': ';
      raw += l.kind === 'comment' ? `:${l.value}` : `${l.kind}${sep}${l.value}`;
      raw += e;
      previousEnding = e;
      if (l.kind === 'data') data.push(l.value);
      if (l.kind === 'event') eventType = l.value === '' ? null : l.value;
      if (l.kind === 'id') id = l.value;
    }
    // A bare LF right after a CR would merge into one CRLF ending: use CRLF for the blank line then.
    let blank = blankEndings[index % blankEndings.length] ?? '\n';
    if (previousEnding === '\r' && blank === '\n') blank = '\r\n';
    raw += blank;
    return { raw, event: eventType, data: data.length === 0 ? null : data.join('\n'), id };
  });
}

describe('createSseSplitter (property)', () => {
  it('reproduces exactly the events and raw bytes for any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(generatedEvent, { minLength: 1, maxLength: 6 }),
        fc.array(ending, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (events, blanks, rawCuts) => {
          const expected = serialize(events, blanks);
          const bytes = enc.encode(expected.map((e) => e.raw).join(''));
          const cuts = rawCuts.map((c) => c % (bytes.length + 1));
          const actual = splitAt(bytes, cuts);
          expect(actual.map((e) => ({ raw: dec.decode(e.raw), event: e.event, data: e.data, id: e.id }))).toEqual(
            expected,
          );
          expect(actual.every((e) => e.complete)).toBe(true);
          expect(Buffer.concat(actual.map((e) => e.raw)).equals(Buffer.from(bytes))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('splits between CR and LF and inside every multi-byte character', () => {
    const text = 'event: e€\r\ndata: 😀\r\n\r\ndata: 中\r\r\ndata: z\n\n';
    const bytes = enc.encode(text);
    const whole = splitAt(bytes, []).map(view);
    for (let a = 0; a <= bytes.length; a += 1) {
      for (let b = a; b <= bytes.length; b += 3) expect(splitAt(bytes, [a, b]).map(view)).toEqual(whole);
    }
    expect(whole.map((e) => e.raw)).toEqual(['event: e€\r\ndata: 😀\r\n\r\n', 'data: 中\r\r\n', 'data: z\n\n']);
  });
});
