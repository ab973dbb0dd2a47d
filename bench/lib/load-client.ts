// The runner's side of the load worker: forks dist-bench/bench/services/load-worker.js
// and sends it tasks over IPC (several may run at once).
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type {
  AgentLoopResult,
  AgentLoopTask,
  ClosedLoopResult,
  ClosedLoopTask,
  LoadResult,
  LoadTask,
  ReplyMessage,
  StallResult,
  StallTask,
  StreamsResult,
  StreamsTask,
} from '../load/protocol.js';
import { SERVICES_DIR } from './processes.js';

export interface LoadClient {
  readonly pid: number;
  closedLoop(task: Omit<ClosedLoopTask, 'kind'>): Promise<ClosedLoopResult>;
  streams(task: Omit<StreamsTask, 'kind'>): Promise<StreamsResult>;
  agentLoop(task: Omit<AgentLoopTask, 'kind'>): Promise<AgentLoopResult>;
  stall(task: Omit<StallTask, 'kind'>): Promise<StallResult>;
  stop(): Promise<void>;
}

export function startLoadWorker(): LoadClient {
  const child: ChildProcess = fork(join(SERVICES_DIR, 'load-worker.js'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (result: LoadResult) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  child.on('message', (message: ReplyMessage) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if ('error' in message) waiter.reject(new Error(`load worker: ${message.error}`));
    else waiter.resolve(message.result);
  });
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load worker exited with ${code}`));
    pending.clear();
  });
  const send = <R extends LoadResult>(task: LoadTask): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: (result) => resolve(result as R), reject });
      child.send({ id, task });
    });
  return {
    pid: child.pid ?? 0,
    closedLoop: (task) => send<ClosedLoopResult>({ kind: 'closed-loop', ...task }),
    streams: (task) => send<StreamsResult>({ kind: 'streams', ...task }),
    agentLoop: (task) => send<AgentLoopResult>({ kind: 'agent-loop', ...task }),
    stall: (task) => send<StallResult>({ kind: 'stall', ...task }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}
