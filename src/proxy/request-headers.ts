// A proxied call's request headers, read from Node's `rawHeaders` as a web `Headers` built from
// them would answer (what `c.req.raw.headers` builds on every call, validating each header
// again after Node's parser did: ~4 us a call). The same answers: names case-insensitive and
// lower-case, a repeated header joined with ", " ("; " for `cookie`) in the order it came, values without leading
// or trailing whitespace, `forEach` in sorted name order with each `set-cookie` on its own
// (Fetch "sort and combine"). src/proxy/request-headers.test.ts compares the two.
// Reads only; nothing here changes what is forwarded.

/** What runcap reads of a request's headers; a web `Headers` is one too. */
export interface HeaderReader {
  get(name: string): string | null;
  forEach(callback: (value: string, name: string) => void): void;
}

const SET_COOKIE = 'set-cookie';

export class RequestHeaders implements HeaderReader {
  private combined: Map<string, string> | null = null;
  private setCookies: string[] = [];

  /** `raw`: name, value, name, value... as Node received them (`IncomingMessage.rawHeaders`). */
  constructor(private readonly raw: readonly string[]) {}

  get(name: string): string | null {
    return this.headers().get(name.toLowerCase()) ?? null;
  }

  forEach(callback: (value: string, name: string) => void): void {
    const headers = this.headers();
    for (const name of [...headers.keys()].sort()) {
      if (name === SET_COOKIE) for (const value of this.setCookies) callback(value, name);
      else callback(headers.get(name) as string, name);
    }
  }

  private headers(): Map<string, string> {
    if (this.combined !== null) return this.combined;
    const combined = new Map<string, string>();
    const raw = this.raw;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const rawName = raw[i] as string;
      if (rawName.charCodeAt(0) === 0x3a) continue; // an HTTP/2 pseudo-header (":path"), as @hono/node-server skips
      const name = rawName.toLowerCase();
      const value = trimHttpWhitespace(raw[i + 1] as string);
      const before = combined.get(name);
      // Node's fetch (undici) joins repeated `cookie` headers with "; ", every other with ", ".
      combined.set(name, before === undefined ? value : `${before}${name === 'cookie' ? '; ' : ', '}${value}`);
      if (name === SET_COOKIE) this.setCookies.push(value);
    }
    this.combined = combined;
    return combined;
  }
}

/** Fetch's "normalize": strips leading and trailing HTTP whitespace (tab, LF, CR, space). */
function trimHttpWhitespace(value: string): string {
  const isWs = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
  let start = 0;
  let end = value.length;
  while (start < end && isWs(value.charCodeAt(start))) start += 1;
  while (end > start && isWs(value.charCodeAt(end - 1))) end -= 1;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}
