// RequestHeaders against a web Headers built from the same raw headers (what @hono/node-server
// builds for c.req.raw.headers): every get() and the whole forEach sequence are the same.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestHeaders } from './request-headers.js';

const NAMES = [
  'Host',
  'host',
  'Authorization',
  'X-Run-Id',
  'x-run-id',
  'Content-Type',
  'Connection',
  'Accept',
  'accept',
  'Set-Cookie',
  'set-cookie',
  'Cookie',
  'X-Budget-Feature',
  'Idempotency-Key',
  'a',
  'Z-Last',
  ':path',
];
const VALUE = fc.stringMatching(/^[ \t]{0,2}[\x21-\x7e]([\x20-\x7e\x80-\xff\t]{0,12}[\x21-\x7e])?[ \t]{0,2}$|^$/);

function asWeb(raw: readonly string[]): Headers {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (raw[i]?.charCodeAt(0) !== 0x3a) pairs.push([raw[i] ?? '', raw[i + 1] ?? '']);
  return new Headers(pairs);
}

function listed(headers: { forEach(cb: (value: string, name: string) => void): void }): [string, string][] {
  const out: [string, string][] = [];
  headers.forEach((value, name) => out.push([name, value]));
  return out;
}

describe('RequestHeaders', () => {
  it('answers get() and forEach() as a web Headers built from the same raw headers', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...NAMES), VALUE), { maxLength: 14 }), (pairs) => {
        const raw = pairs.flat();
        const ours = new RequestHeaders(raw);
        const web = asWeb(raw);
        for (const name of [...NAMES.filter((n) => !n.startsWith(':')), 'missing', 'X-RUN-ID'])
          expect(ours.get(name)).toBe(web.get(name));
        expect(listed(ours)).toEqual(listed(web));
      }),
      { numRuns: 500 },
    );
  });

  it('joins a repeated header in arrival order and keeps each set-cookie apart in forEach', () => {
    const ours = new RequestHeaders(['X-Tag', ' one ', 'x-tag', 'two', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2']);
    expect(ours.get('x-tag')).toBe('one, two');
    expect(listed(ours)).toEqual([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['x-tag', 'one, two'],
    ]);
  });
});
