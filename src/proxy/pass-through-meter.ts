// A stream meter that meters nothing: for free calls relayed as they arrive (fetching a
// stored response as an event stream), where there is no usage to read. Bytes pass unchanged.
import type { StreamMeter } from './adapter.js';

const EMPTY = new Uint8Array(0);

export function passThroughMeter(): StreamMeter {
  return {
    push: (chunk) => chunk,
    flush: () => EMPTY,
    result: () => ({ usage: null, outputText: '', responseId: null, hostedCalls: {} }),
  };
}
