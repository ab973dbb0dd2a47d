// Identifier generation: ULIDs (Crockford base32, time-ordered) with runcap's prefixes.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A 26-character ULID: 48 bits of milliseconds, 80 random bits. */
export function ulid(nowMs: number = Date.now()): string {
  let time = '';
  let ms = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[ms % 32] + time;
    ms = Math.floor(ms / 32);
  }
  const bytes = randomBytes(10);
  let random = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      random += ALPHABET[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  return time + random;
}

export const newRunId = (): string => `run_${ulid()}`;
export const newDecisionId = (): string => `bdgdec_${ulid()}`;
export const newReservationId = (): string => `rsv_${ulid()}`;
