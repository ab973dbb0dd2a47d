// Relays an upstream SSE body to the client as a web ReadableStream, through a
// stream meter, as bytes arrive. Built by hand (not Readable.toWeb, which crashes the
// process when a client disconnects mid-stream). Ends in exactly one `onEnd` call on
// every path: complete, upstream cut (error/timeout/reset), or client abort.
import type { StreamMeter } from './adapter.js';
import type { UpstreamResponse } from './upstream.js';

export type StreamEnd =
  { readonly kind: 'complete' } | { readonly kind: 'cut'; readonly error: unknown } | { readonly kind: 'client_abort' };

export interface RelayOptions {
  readonly body: UpstreamResponse['body'];
  readonly meter: StreamMeter;
  /** Aborts the upstream request (client went away). */
  readonly abortUpstream: () => void;
  /**
   * Cuts the client connection when the upstream stream breaks, so the client sees a
   * truncated transfer rather than a clean end. Without it the web stream is errored.
   */
  readonly abortClient?: () => void;
  /** Called for each upstream chunk (e.g. to extend a hold while the stream flows). */
  readonly onChunk?: () => void;
  /** Settles the call; awaited before the client sees the end of a complete stream. */
  readonly onEnd: (end: StreamEnd) => Promise<void>;
}

export function relayStream(options: RelayOptions): ReadableStream<Uint8Array> {
  const chunks = options.body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  let ended = false;
  const end = (result: StreamEnd): Promise<void> => {
    if (ended) return Promise.resolve();
    ended = true;
    return options.onEnd(result);
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const next = await chunks.next();
          if (ended) return;
          if (next.done) {
            const tail = options.meter.flush();
            if (tail.length > 0) controller.enqueue(tail);
            await end({ kind: 'complete' });
            controller.close();
            return;
          }
          options.onChunk?.();
          const out = options.meter.push(next.value);
          if (out.length > 0) {
            controller.enqueue(out);
            return;
          }
        }
      } catch (error) {
        if (ended) return;
        const tail = options.meter.flush();
        if (tail.length > 0) controller.enqueue(tail);
        await end({ kind: 'cut', error });
        // Propagate the cut: the client must not mistake a truncated stream for a finished one.
        if (options.abortClient) options.abortClient();
        else controller.error(error);
      }
    },
    async cancel() {
      options.abortUpstream();
      options.body.destroy();
      await end({ kind: 'client_abort' });
    },
  });
}
