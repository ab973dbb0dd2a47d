// Keeps the page live (docs/ui.md): reads GET /budget/events, a text/event-stream, with fetch (so
// it can send the viewer's token; EventSource cannot), and calls `changed` for each event. A
// dropped stream reconnects with Last-Event-ID, so the server can replay what was missed, and the
// view fetches once on every (re)connect.
import { refusal, Unauthenticated } from './api.js';
import { EventStreamParser, type ServerEvent } from './sse.js';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface LiveOptions {
  readonly token: string;
  readonly changed: (event: ServerEvent | null) => void;
  readonly status: (status: LiveStatus) => void;
  readonly unauthenticated: (error: Unauthenticated) => void;
}

export const EVENTS_PATH = '/budget/events';
const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 15_000;

export interface Live {
  stop(): void;
}

export function startLive(options: LiveOptions): Live {
  const abort = new AbortController();
  let lastEventId = '';
  let retryMs = MIN_RETRY_MS;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    });

  const connect = async (): Promise<void> => {
    let first = true;
    while (!abort.signal.aborted) {
      options.status(first ? 'connecting' : 'reconnecting');
      first = false;
      try {
        const headers: Record<string, string> = {
          authorization: `Bearer ${options.token}`,
          accept: 'text/event-stream',
        };
        if (lastEventId !== '') headers['last-event-id'] = lastEventId;
        const response = await fetch(EVENTS_PATH, { headers, cache: 'no-store', signal: abort.signal });
        if (response.status === 401) {
          const error = await refusal(response);
          if (error instanceof Unauthenticated) options.unauthenticated(error);
          return;
        }
        if (!response.ok || response.body === null) throw new Error(`events: ${response.status}`);
        options.status('live');
        retryMs = MIN_RETRY_MS;
        // Something may have changed while the stream was down: look once now.
        options.changed(null);
        const parser = new EventStreamParser();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const event of parser.feed(value)) {
            lastEventId = event.lastEventId;
            options.changed(event);
          }
          if (parser.retryMs !== null) retryMs = parser.retryMs;
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      await wait(retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
  };

  void connect();
  return {
    stop() {
      abort.abort();
      if (timer !== null) clearTimeout(timer);
      options.status('stopped');
    },
  };
}
