// Closed-loop load with autocannon: `connections` keep-alive connections, each sending
// the next request as soon as the previous answer arrived, for `durationS`. Latencies
// are taken from each client's response event (float ms, not autocannon's 1 ms histogram).
import autocannon from 'autocannon';
import type { ClosedLoopResult, ClosedLoopTask } from './protocol.js';

export function runClosedLoop(task: ClosedLoopTask): Promise<ClosedLoopResult> {
  const latenciesMs: number[] = [];
  let ok = 0;
  let failed = 0;
  let nextClient = 0;
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: task.url,
        method: 'POST',
        body: task.body,
        headers: { 'content-type': 'application/json', ...task.headers },
        connections: task.connections,
        duration: task.durationS,
        idReplacement: true,
        setupClient: (client) => {
          client.setHeaders({
            'content-type': 'application/json',
            ...task.headers,
            'x-run-id': `${task.runIdPrefix}-${nextClient++}`,
          });
          client.on('response', (statusCode: number, _bytes: number, responseTimeMs: number) => {
            if (statusCode >= 200 && statusCode < 300) {
              ok += 1;
              latenciesMs.push(responseTimeMs);
            } else {
              failed += 1;
            }
          });
        },
      },
      (error: unknown, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        resolve({
          ok,
          failed: failed + result.errors,
          elapsedS: Number(process.hrtime.bigint() - started) / 1e9,
          latenciesMs,
        });
      },
    );
  });
}
