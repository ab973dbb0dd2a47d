// Reads a text/event-stream response body in e2e tests (WHATWG HTML §9.2.6 parsing, the subset
// runcap writes: id, event, data, comments), as the bytes arrive in whatever chunks.
export interface SseEvent {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
}

export class SseReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private readonly events: SseEvent[] = [];
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** A read still outstanding when a wait timed out: its chunk must not be lost. */
  private pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']> | null = null;

  constructor(body: ReadableStream<Uint8Array> = new ReadableStream()) {
    this.reader = body.getReader();
  }

  /** Feeds raw bytes (for a reader over a plain socket). */
  push(text: string): void {
    this.buffer += text;
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let id: string | null = null;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) this.events.push({ id, event, data: data.join('\n') });
    }
  }

  /** Reads until `count` events (matching `accept`) were seen; returns them. */
  async take(
    count: number,
    accept: (event: SseEvent) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    const matching = () => this.events.filter(accept);
    while (matching().length < count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} events within ${timeoutMs} ms, got ${JSON.stringify(this.events)}`);
      this.pending ??= this.reader.read();
      let timer: NodeJS.Timeout | undefined;
      const next = await Promise.race([
        this.pending,
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), Math.max(1, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
      if (next === null) continue;
      this.pending = null;
      if (next.done) throw new Error(`stream ended after ${JSON.stringify(this.events)}`);
      this.push(this.decoder.decode(next.value, { stream: true }));
    }
    return matching().slice(0, count);
  }

  get seen(): readonly SseEvent[] {
    return this.events;
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

/** The body of a raw HTTP/1.1 response read off a socket, with chunked transfer coding undone. */
export function dechunk(raw: Buffer): string {
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (headerEnd < 0) return '';
  const parts: Buffer[] = [];
  let at = headerEnd + 4;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0 || lineEnd + 2 + size > raw.length) {
      if (Number.isFinite(size) && size > 0) parts.push(raw.subarray(lineEnd + 2));
      break;
    }
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts).toString('utf8');
}
