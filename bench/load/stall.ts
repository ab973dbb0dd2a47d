// Event-loop stall probe: small streaming calls sent open-loop at a fixed rate (so a
// stalled proxy delays every call that arrives meanwhile, not just the few a closed
// loop would have in flight), while never-seen large-context calls arrive every
// `largeEveryMs`. Large bodies are built before the clock starts.
import { largeContextRequest } from '../lib/bodies.js';
import type { StallResult, StallTask, StreamsResult } from './protocol.js';
import { bodyForCall, timedCall } from './streams.js';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

async function openLoop(task: StallTask): Promise<StreamsResult> {
  const fixed = task.smallBody.includes('[<id>]') ? null : Buffer.from(task.smallBody);
  const ttfbMs: number[] = [];
  const totalMs: number[] = [];
  let ok = 0;
  let failed = 0;
  let bytes = 0;
  const calls: Promise<void>[] = [];
  const started = performance.now();
  const count = Math.floor(task.durationS * task.smallRatePerS);
  const prefix = `run_stall_small_${task.seed.replace(/[^A-Za-z0-9._:-]/g, '_')}`;
  for (let index = 0; index < count; index += 1) {
    await sleep(started + (index * 1000) / task.smallRatePerS - performance.now());
    calls.push(
      timedCall(task.url, bodyForCall(task.smallBody, fixed), {
        ...task.headers,
        'x-run-id': `${prefix}-${index % 16}`,
      }).then((timing) => {
        if (!timing.ok) {
          failed += 1;
          return;
        }
        ok += 1;
        bytes += timing.bytes;
        ttfbMs.push(timing.ttfbMs);
        totalMs.push(timing.totalMs);
      }),
    );
  }
  await Promise.all(calls);
  return { ok, failed, elapsedS: (performance.now() - started) / 1000, ttfbMs, totalMs, bytes };
}

export async function runStall(task: StallTask): Promise<StallResult> {
  const largeCount = task.largeEveryMs > 0 ? Math.floor((task.durationS * 1000) / task.largeEveryMs) : 0;
  const largeBodies = Array.from({ length: largeCount }, (_, index) =>
    Buffer.from(largeContextRequest(`${task.seed}:large${index}`, task.largeChars)),
  );
  const largeMs: number[] = [];
  let largeFailed = 0;
  const inFlight: Promise<void>[] = [];
  const timers = largeBodies.map((body, index) =>
    setTimeout(
      () => {
        const headers = {
          ...task.headers,
          'x-run-id': `run_stall_large_${task.seed.replace(/[^A-Za-z0-9._:-]/g, '_')}_${index}`,
        };
        inFlight.push(
          timedCall(task.url, body, headers).then((timing) => {
            if (timing.ok) largeMs.push(timing.totalMs);
            else largeFailed += 1;
          }),
        );
      },
      task.largeEveryMs / 2 + index * task.largeEveryMs,
    ),
  );
  const small = await openLoop(task);
  for (const timer of timers) clearTimeout(timer);
  await Promise.all(inFlight);
  return { small, largeSent: inFlight.length, largeFailed, largeMs };
}
