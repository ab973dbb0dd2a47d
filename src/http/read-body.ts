// Reads a proxied call's body straight from the Node request, once, into one buffer of at
// most `maxBytes` (413 beyond; checked on the declared length before reading anything). No
// Web-stream conversion and no second copy. Called only after the caller is authenticated.
import type { IncomingMessage } from 'node:http';
import { RuncapError } from '../errors.js';

export function readBody(incoming: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = (): RuncapError =>
    new RuncapError('request_too_large', `The request body is larger than ${maxBytes} bytes.`);
  const declared = incoming.headers['content-length'];
  if (declared !== undefined && incoming.headers['transfer-encoding'] === undefined && Number(declared) > maxBytes) {
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        chunks.length = 0;
        // The rest is read and dropped by Node (the connection stays usable), never kept.
        incoming.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new RuncapError('invalid_request', `The request body could not be read: ${error.message}`));
    };
    const onClose = (): void => {
      if (incoming.complete) return;
      cleanup();
      reject(new RuncapError('invalid_request', 'The client closed the connection before sending the whole body.'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}
