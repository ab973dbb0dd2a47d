// A JSON parser that keeps the FIRST of duplicate object keys, as some upstream servers and
// gateways do (simdjson's on-demand lookups, several streaming parsers), where JSON.parse keeps
// the last. The fake upstream uses it to play such a server. Test-only; assumes valid JSON.
export function parseJsonFirstWins(text: string): unknown {
  let at = 0;
  const space = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at] as string)) at += 1;
  };
  const string = (): string => {
    const start = at;
    at += 1;
    while (text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    at += 1;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const value = (): unknown => {
    space();
    const char = text[at];
    if (char === '{') {
      at += 1;
      const object: Record<string, unknown> = {};
      space();
      if (text[at] === '}') return ((at += 1), object);
      for (;;) {
        space();
        const key = string();
        space();
        at += 1; // ':'
        const item = value();
        if (!Object.prototype.hasOwnProperty.call(object, key)) {
          Object.defineProperty(object, key, { value: item, enumerable: true, writable: true, configurable: true });
        }
        space();
        if (text[at++] === '}') return object;
      }
    }
    if (char === '[') {
      at += 1;
      const array: unknown[] = [];
      space();
      if (text[at] === ']') return ((at += 1), array);
      for (;;) {
        array.push(value());
        space();
        if (text[at++] === ']') return array;
      }
    }
    if (char === '"') return string();
    const match = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(at, at + 64));
    if (!match) throw new SyntaxError(`unexpected ${String(char)} at ${at}`);
    at += match[0].length;
    return JSON.parse(match[0]) as unknown;
  };
  return value();
}
