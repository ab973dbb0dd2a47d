// An incremental parser of a text/event-stream (WHATWG HTML, "Server-sent events", §9.2.6): fed
// decoded text in chunks of any size, it returns the events each chunk completes. The page reads
// GET /budget/events with fetch (EventSource cannot send an Authorization header), so it parses
// the stream itself.

export interface ServerEvent {
  readonly type: string;
  readonly data: string;
  /** The last event id seen so far (it carries over to later events, as the standard says). */
  readonly lastEventId: string;
}

export class EventStreamParser {
  private buffer = '';
  private type = '';
  private data: string[] = [];
  private hasData = false;
  private lastEventId = '';
  /** The reconnection time the stream asked for with `retry:`, in milliseconds. */
  retryMs: number | null = null;

  feed(chunk: string): ServerEvent[] {
    this.buffer += chunk;
    const events: ServerEvent[] = [];
    for (;;) {
      const end = lineEnd(this.buffer);
      if (end === null) break;
      const line = this.buffer.slice(0, end.at);
      this.buffer = this.buffer.slice(end.at + end.length);
      const event = this.line(line);
      if (event !== null) events.push(event);
    }
    return events;
  }

  get lastId(): string {
    return this.lastEventId;
  }

  private line(line: string): ServerEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') {
      this.data.push(value);
      this.hasData = true;
    } else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return null;
  }

  private dispatch(): ServerEvent | null {
    const event: ServerEvent | null = this.hasData
      ? { type: this.type === '' ? 'message' : this.type, data: this.data.join('\n'), lastEventId: this.lastEventId }
      : null;
    this.type = '';
    this.data = [];
    this.hasData = false;
    return event;
  }
}

/** The first line end (CRLF, LF or CR) in text; a CR at the very end waits for the next chunk. */
function lineEnd(text: string): { at: number; length: number } | null {
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '\n') return { at: i, length: 1 };
    if (char === '\r') {
      if (i + 1 === text.length) return null;
      return { at: i, length: text[i + 1] === '\n' ? 2 : 1 };
    }
  }
  return null;
}
