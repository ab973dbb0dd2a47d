// Closed-loop streaming calls over undici: `concurrency` callers, each timing the
// first body byte (first SSE event) and the end of the stream of every call.
import { Agent, request } from 'undici';
import { UNIQUE_MARKER } from '../lib/bodies.js';
import type { StreamsResult, StreamsTask } from './protocol.js';

export const loadAgent = new Agent({ connections: 512, keepAliveTimeout: 60_000, pipelining: 1 });

export interface StreamTiming {
  readonly ok: boolean;
  readonly ttfbMs: number;
  readonly totalMs: number;
  readonly bytes: number;
}

/** One call: POST body, read the whole answer, time first byte and end. */
export async function timedCall(
  url: string,
  body: Buffer,
  headers: Readonly<Record<string, string>>,
): Promise<StreamTiming> {
  const started = process.hrtime.bigint();
  const elapsedMs = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      dispatcher: loadAgent,
    });
    let ttfbMs = Number.NaN;
    let bytes = 0;
    for await (const chunk of response.body) {
      if (bytes === 0) ttfbMs = elapsedMs();
      bytes += (chunk as Buffer).length;
    }
    return { ok: response.statusCode >= 200 && response.statusCode < 300, ttfbMs, totalMs: elapsedMs(), bytes };
  } catch {
    return { ok: false, ttfbMs: Number.NaN, totalMs: elapsedMs(), bytes: 0 };
  }
}

let callCounter = 0;

/** The body of one call: UNIQUE_MARKER replaced by a never-repeated id. */
export function bodyForCall(template: string, fixed: Buffer | null): Buffer {
  if (fixed !== null) return fixed;
  callCounter += 1;
  return Buffer.from(
    template.replace(UNIQUE_MARKER, `${process.pid.toString(36)}${Date.now().toString(36)}${callCounter.toString(36)}`),
  );
}

export async function runStreams(task: StreamsTask): Promise<StreamsResult> {
  const fixed = task.body.includes(UNIQUE_MARKER) ? null : Buffer.from(task.body);
  const ttfbMs: number[] = [];
  const totalMs: number[] = [];
  let ok = 0;
  let failed = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  const deadline = performance.now() + task.durationS * 1000;
  const caller = async (slot: number): Promise<void> => {
    const headers = { ...task.headers, 'x-run-id': `${task.runIdPrefix}-${slot}` };
    while (performance.now() < deadline) {
      const timing = await timedCall(task.url, bodyForCall(task.body, fixed), headers);
      if (!timing.ok) {
        failed += 1;
        continue;
      }
      ok += 1;
      bytes += timing.bytes;
      ttfbMs.push(timing.ttfbMs);
      totalMs.push(timing.totalMs);
    }
  };
  await Promise.all(Array.from({ length: task.concurrency }, (_, slot) => caller(slot)));
  return { ok, failed, elapsedS: Number(process.hrtime.bigint() - started) / 1e9, ttfbMs, totalMs, bytes };
}
