// Worker-thread entry of the token-count pool (worker-pool.ts): counts the batches of texts
// it is handed with the same encodeCount the event loop uses, so offloaded counts are identical.
// Owns nothing else; must not touch the cache (that lives on the main thread).
import { parentPort } from 'node:worker_threads';
import type { Encoding } from '../pricing/types.js';
import { encodeCount } from './encoders.js';

export interface CountMessage {
  readonly id: number;
  readonly texts: readonly string[];
  readonly encoding: Encoding;
}

export type CountReply =
  { readonly id: number; readonly counts: readonly number[] } | { readonly id: number; readonly error: string };

const port = parentPort;
if (port === null) throw new Error('token-count-worker must run in a worker thread');
port.on('message', (message: CountMessage) => {
  let reply: CountReply;
  try {
    reply = { id: message.id, counts: message.texts.map((text) => encodeCount(text, message.encoding)) };
  } catch (error) {
    reply = { id: message.id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
