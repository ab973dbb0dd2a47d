// Captures runcap's `budget decision` log lines (one per decision, docs/design.md §6) from an
// in-process server, for tests that drive a client which cannot show them (a CLI): what was
// decided on each call of a run, in order, and what it held.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface LoggedDecision {
  readonly decision_id: string;
  readonly decision: string;
  readonly code?: string;
  readonly run_id: string;
  readonly model: string;
  readonly estimate_usd: string;
  readonly reservation_id?: string;
}

export interface DecisionLog {
  /** Pass to startRuncap({ logger }). */
  readonly logger: Logger;
  /** The decisions logged so far, oldest first; those of one run when `runId` is given. */
  decisions(runId?: string): LoggedDecision[];
}

export function captureDecisions(): DecisionLog {
  const decisions: LoggedDecision[] = [];
  let pending = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') continue;
        const entry = JSON.parse(line) as { msg?: string } & LoggedDecision;
        if (entry.msg === 'budget decision') decisions.push(entry);
      }
      callback();
    },
  });
  return {
    logger: pino({ level: 'info' }, sink),
    decisions: (runId) => decisions.filter((entry) => runId === undefined || entry.run_id === runId),
  };
}
