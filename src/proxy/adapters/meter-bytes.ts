// Byte plumbing for stream meters: joining forwarded event bytes, and the meter for
// endpoints that do not stream (it forwards bytes unchanged and reports nothing).
import type { StreamMeter } from '../adapter.js';

const NO_BYTES = new Uint8Array(0);

/** Concatenates byte arrays without copying when there are zero or one of them. */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 0) return NO_BYTES;
  if (parts.length === 1) return parts[0] ?? NO_BYTES;
  return Buffer.concat(parts);
}

/** A meter that forwards every byte as it arrives and reads nothing from them. */
export function createPassThroughMeter(): StreamMeter {
  return {
    push: (chunk) => chunk,
    flush: () => NO_BYTES,
    result: () => ({ usage: null, outputText: '', responseId: null, hostedCalls: {} }),
  };
}
