// The agent-loop load: `runs` concurrent runs of `steps` sequential calls, each call
// resending the whole, growing conversation (system + task + every earlier step), with
// texts unique to the task's seed. Bodies are built before the clock starts.
import { agentRunBodies } from '../lib/bodies.js';
import type { AgentLoopResult, AgentLoopTask } from './protocol.js';
import { timedCall } from './streams.js';

export async function runAgentLoop(task: AgentLoopTask): Promise<AgentLoopResult> {
  const runs = Array.from({ length: task.runs }, (_, run) =>
    agentRunBodies(`${task.seed}:run${run}`, task.steps, task.newCharsPerStep).map((body) => Buffer.from(body)),
  );
  const latenciesMs: number[][] = Array.from({ length: task.steps }, () => []);
  let failed = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    runs.map(async (bodies, run) => {
      const headers = {
        ...task.headers,
        'x-run-id': `run_agent_${task.seed.replace(/[^A-Za-z0-9._:-]/g, '_')}_${run}`,
      };
      for (const [step, body] of bodies.entries()) {
        const timing = await timedCall(task.url, body, headers);
        if (!timing.ok) failed += 1;
        latenciesMs[step]?.push(timing.totalMs);
      }
    }),
  );
  const lastBodyChars = runs[0]?.at(-1)?.length ?? 0;
  return { failed, elapsedS: Number(process.hrtime.bigint() - started) / 1e9, latenciesMs, lastBodyChars };
}
