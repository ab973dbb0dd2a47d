// The load generator (its own process, forked with an IPC channel by the runner): runs
// one load task at a time and replies with raw samples. Keeps its keep-alive connections
// between tasks.
import { runAgentLoop } from '../load/agent-loop.js';
import { runClosedLoop } from '../load/closed-loop.js';
import type { LoadResult, LoadTask, ReplyMessage, TaskMessage } from '../load/protocol.js';
import { runStall } from '../load/stall.js';
import { runStreams } from '../load/streams.js';

function run(task: LoadTask): Promise<LoadResult> {
  switch (task.kind) {
    case 'closed-loop':
      return runClosedLoop(task);
    case 'streams':
      return runStreams(task);
    case 'agent-loop':
      return runAgentLoop(task);
    case 'stall':
      return runStall(task);
  }
}

if (!process.send) throw new Error('load-worker must be forked with an IPC channel');
const send = (message: ReplyMessage): void => {
  process.send?.(message);
};
process.on('message', (message: TaskMessage) => {
  run(message.task).then(
    (result) => send({ id: message.id, result }),
    (error: unknown) =>
      send({ id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
