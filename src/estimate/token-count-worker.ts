// Worker-thread entry of the token-count pool (worker-pool.ts): counts the texts it is
// handed with the same encodeCount the event loop uses, so offloaded counts are identical.
// Owns nothing else; must not touch the cache (that lives on the main thread).
import { parentPort } from 'node:worker_threads';
import type { Encoding } from '../pricing/types.js';
import { encodeCount } from './tokenizer.js';

export interface CountMessage {
  readonly id: number;
  readonly text: string;
  readonly encoding: Encoding;
}

export type CountReply =
  { readonly id: number; readonly tokens: number } | { readonly id: number; readonly error: string };

const port = parentPort;
if (port === null) throw new Error('token-count-worker must run in a worker thread');
port.on('message', (message: CountMessage) => {
  let reply: CountReply;
  try {
    reply = { id: message.id, tokens: encodeCount(message.text, message.encoding) };
  } catch (error) {
    reply = { id: message.id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
