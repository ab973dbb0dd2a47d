// Decodes the reserve script's brake verdict (lua/reserve.lua) into a BrakeVerdict: the loop
// brake as the script judged it; for the velocity brake, the Retry-After of each full window is
// computed here from the buckets the script read (../brake-rules.ts), and the one that frees last
// is reported, as the SQLite backend does. No I/O.
import { velocityRetryAfterMs, type VelocityBucket } from '../brake-rules.js';
import type { BrakeVerdict, ReserveRequest } from '../types.js';
import { asArray, asInteger, asString } from './reply.js';

export function brakeFrom(request: ReserveRequest, reply: unknown, nowMs: number): BrakeVerdict {
  const verdict = asArray(reply, 'brake verdict');
  if (verdict[0] === 'loop') {
    return {
      kind: 'loop',
      runId: asString(verdict[1], 'loop run id'),
      repeats: asInteger(verdict[2], 'loop repeats'),
      maxRepeats: asInteger(verdict[3], 'loop max repeats'),
    };
  }
  if (verdict[0] !== 'velocity') throw new Error(`redis ledger: unknown brake ${String(verdict[0])}`);
  const limitMicros = asInteger(verdict[1], 'velocity limit');
  let worst: Extract<BrakeVerdict, { kind: 'velocity' }> | null = null;
  for (const entry of asArray(verdict[2], 'full windows')) {
    const [runIdValue, spentValue, flat] = asArray(entry, 'full window');
    const runId = asString(runIdValue, 'velocity run id');
    const buckets: VelocityBucket[] = [];
    const pairs = asArray(flat, 'velocity buckets');
    for (let index = 0; index + 1 < pairs.length; index += 2) {
      buckets.push({
        startMs: asInteger(pairs[index], 'bucket'),
        micros: asInteger(pairs[index + 1], 'bucket micros'),
      });
    }
    const mode = request.scopes.find((spec) => spec.type === 'run' && spec.id === runId)?.mode ?? 'hard_gate';
    const retryAfterMs = velocityRetryAfterMs(mode, buckets, nowMs, request.amountMicros, limitMicros);
    const spentMicros = asInteger(spentValue, 'velocity spent');
    if (worst === null || (retryAfterMs ?? Infinity) > (worst.retryAfterMs ?? Infinity)) {
      worst = { kind: 'velocity', runId, limitMicros, spentMicros, retryAfterMs };
    }
  }
  if (worst === null) throw new Error('redis ledger: the reserve script throttled but no window is full');
  return worst;
}
