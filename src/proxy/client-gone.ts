// The signal that a proxied call's client went away, as the pipeline and the upstream client
// read it: `aborted`, `reason`, and one 'abort' event. undici takes an EventEmitter with those as
// well as a web AbortSignal (its `addAbortListener`); an AbortController per call cost ~1% of
// runcap's CPU on a seen small chat (Node 20 builds a web EventTarget for its signal), an
// EventEmitter a small fraction of that. Aborting twice keeps the first reason, as AbortSignal does.
import { EventEmitter } from 'node:events';

export class ClientGone extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

/** What a call's client-gone signal may be: runcap's own, or a web AbortSignal (tests, the demo). */
export type ClientSignal = AbortSignal | ClientGone;
