import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RuncapError } from '../errors.js';
import { firstDuplicateKey, parseRequestJson } from './json-body.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const duplicate = (text: string): string | null => firstDuplicateKey(bytes(text));

describe('firstDuplicateKey', () => {
  it.each([
    ['top level', '{"model":"o1","messages":[],"model":"gpt-4.1-nano"}', 'model'],
    ['nested in an array', '{"messages":[{"role":"user","content":"a","content":"b"}]}', 'content'],
    ['deep', '{"a":{"b":{"c":[[{"d":1,"e":2,"d":3}]]}}}', 'd'],
    ['escaped spelling', '{"model":"o1","mod\\u0065l":"x"}', 'mod\u0065l'],
    ['both escaped', '{"\\u006dodel":"o1","mod\\u0065l":"x"}', 'model'],
    ['non-ASCII', '{"clé":1,"cl\\u00e9":2}', 'clé'],
    ['__proto__', '{"__proto__":{"model":"o1"},"__proto__":{}}', '__proto__'],
    ['after a long string with escaped quotes', `{"x":"${'a\\"'.repeat(40)}","y":1,"x":2}`, 'x'],
    ['with whitespace', '{ "a" : 1 ,\n "a" : 2 }', 'a'],
  ])('finds a duplicate %s', (_name, text, key) => {
    expect(duplicate(text)).toBe(key);
  });

  it.each([
    ['the same key in sibling objects', '[{"a":1},{"a":2}]'],
    ['the same key at different depths', '{"a":{"a":{"a":1}}}'],
    ['a key repeated as a value', '{"model":"model","x":["model","model"]}'],
    ['keys that differ by one byte', '{"ab":1,"ba":2,"a":3,"b":4}'],
    ['strings with braces and commas', '{"a":"},{\\"a\\":","b":"[{,"}'],
    ['escaped backslashes before a quote', '{"a":"\\\\","b":"\\\\\\"","c":1}'],
    [
      'an object with many keys',
      JSON.stringify(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]))),
    ],
  ])('finds none in %s', (_name, text) => {
    expect(duplicate(text)).toBeNull();
  });

  it('finds a duplicate among many keys (hash lookup)', () => {
    const entries = Array.from({ length: 300 }, (_, i) => `"k${i}":${i}`);
    expect(duplicate(`{${entries.join(',')},"k123":0}`)).toBe('k123');
  });

  it('never reports JSON.stringify output, and always reports a repeated key (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary', minLength: 1 }), (value, key) => {
        const text = JSON.stringify(value);
        expect(duplicate(text)).toBeNull();
        const twice = `{${JSON.stringify(key)}:${text},"x":[${text}],${JSON.stringify(key)}:null}`;
        expect(duplicate(twice)).toBe(key);
      }),
    );
  });
});

describe('parseRequestJson', () => {
  const refusal = (body: Buffer): RuncapError => {
    try {
      parseRequestJson(body);
    } catch (error) {
      return error as RuncapError;
    }
    throw new Error('expected a refusal');
  };

  it('parses a plain body', () => {
    expect(parseRequestJson(bytes('{"model":"gpt-4o-mini","n":1}'))).toEqual({ model: 'gpt-4o-mini', n: 1 });
  });

  it('refuses duplicate keys, naming the key', () => {
    const error = refusal(bytes('{"model":"o1","messages":[],"model":"gpt-4.1-nano"}'));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('"model" twice');
  });

  it('refuses invalid UTF-8 (decoders disagree on what it says)', () => {
    const body = Buffer.concat([bytes('{"model":"gpt-4o-mini","input":"'), Buffer.from([0xff, 0xfe]), bytes('"}')]);
    expect(refusal(body).message).toContain('not valid UTF-8');
  });

  it('keeps __proto__ an ordinary key, and accepts escaped lone surrogates (well-formed JSON)', () => {
    const parsed = parseRequestJson(bytes('{"__proto__":{"polluted":true},"text":"\\ud83d"}')) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(parsed)).toEqual(['__proto__', 'text']);
  });

  it('reports malformed JSON as such', () => {
    expect(refusal(bytes('{"model": ')).message).toContain('not valid JSON');
  });

  describe('a body too large for one string (parsed in pieces)', () => {
    const history = (chars: number, extra = ''): string => {
      const content = `tool output \u00e9 "quoted" ${'x'.repeat(3_000)}`;
      const messages = Array.from({ length: Math.ceil(chars / 3_050) }, (_, i) => ({
        role: 'user',
        content: `${i} ${content}`,
      }));
      return `{"model":"gpt-4.1-mini","messages":${JSON.stringify(messages)},"max_completion_tokens":1024${extra}}`;
    };

    it.each([
      ['ASCII, 222 KB', history(222_000).replace(/\u00e9/g, 'e')],
      ['non-ASCII, 90 KB', history(90_000)],
    ])('gives what JSON.parse gives: %s', (_name, text) => {
      expect(parseRequestJson(bytes(text))).toStrictEqual(JSON.parse(text));
    });

    it('refuses a duplicate key, naming it', () => {
      expect(refusal(bytes(history(222_000, ',"messages":[]'))).message).toContain('"messages" twice');
    });

    it("reports malformed JSON with JSON.parse's own message", () => {
      const text = history(222_000).slice(0, -40);
      let expected = '';
      try {
        JSON.parse(text);
      } catch (error) {
        expected = (error as Error).message;
      }
      expect(expected).not.toBe('');
      expect(refusal(bytes(text)).message).toBe(`The request body is not valid JSON: ${expected}`);
    });
  });
});
