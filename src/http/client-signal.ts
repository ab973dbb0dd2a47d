// The signal that tells the pipeline its client went away, from the Node request and response
// themselves. Reading `c.req.raw.signal` instead makes @hono/node-server build a full web
// Request for the call, with the body wrapped in a web stream (Readable.toWeb): measurable work
// on every call that nothing here needs. Same rule as the adapter's: the client is gone when the
// connection closes before the response finished, or the request errored.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientGone } from '../proxy/client-gone.js';

export function clientSignal(incoming: IncomingMessage, outgoing: ServerResponse): ClientGone {
  const signal = new ClientGone();
  outgoing.once('close', () => {
    if (incoming.errored) signal.abort(incoming.errored);
    else if (!outgoing.writableFinished) signal.abort(new Error('Client connection prematurely closed.'));
  });
  return signal;
}
