import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventStreamParser, type ServerEvent } from './sse.js';

const STREAM =
  ': hello\r\n' +
  'retry: 1500\n' +
  'id: 41\nevent: call\ndata: {"run_id":"a"}\n\n' +
  'data: first\rdata: second\r\n\r\n' +
  'id: 42\nevent: call\ndata:{"run_id":"b"}\n\n' +
  'event: ignored-without-data\n\n';

const EXPECTED: ServerEvent[] = [
  { type: 'call', data: '{"run_id":"a"}', lastEventId: '41' },
  { type: 'message', data: 'first\nsecond', lastEventId: '41' },
  { type: 'call', data: '{"run_id":"b"}', lastEventId: '42' },
];

describe('EventStreamParser', () => {
  it('parses fields, comments, CR / LF / CRLF line ends, multi-line data and the carried-over id', () => {
    const parser = new EventStreamParser();
    expect(parser.feed(STREAM)).toEqual(EXPECTED);
    expect(parser.retryMs).toBe(1500);
    expect(parser.lastId).toBe('42');
  });

  it('gives the same events for any split of the stream into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: STREAM.length }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const parser = new EventStreamParser();
        const events: ServerEvent[] = [];
        let from = 0;
        for (const point of [...points, STREAM.length]) {
          events.push(...parser.feed(STREAM.slice(from, point)));
          from = point;
        }
        expect(events).toEqual(EXPECTED);
      }),
    );
  });

  it('holds back an event until its blank line arrives', () => {
    const parser = new EventStreamParser();
    expect(parser.feed('data: x\n')).toEqual([]);
    expect(parser.feed('\n')).toEqual([{ type: 'message', data: 'x', lastEventId: '' }]);
  });
});
