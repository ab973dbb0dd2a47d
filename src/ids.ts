// Identifier generation: ULIDs (Crockford base32, time-ordered) with runcap's prefixes.
import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_BYTES = 10;

/** Random bytes drawn from a pool refilled 4 KiB at a time (one syscall per ~400 ids, not one each). */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
function randomSlice(): Buffer {
  if (poolOffset + RANDOM_BYTES > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += RANDOM_BYTES;
  return pool.subarray(poolOffset - RANDOM_BYTES, poolOffset);
}

/** A 26-character ULID: 48 bits of milliseconds, 80 random bits. */
export function ulid(nowMs: number = Date.now()): string {
  let time = '';
  let ms = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[ms % 32] + time;
    ms = Math.floor(ms / 32);
  }
  const bytes = randomSlice();
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
