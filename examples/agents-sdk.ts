// The OpenAI Agents SDK through runcap: run the agent with a model provider whose OpenAI client
// points at runcap and names the run.
import OpenAI from 'openai';
import { Agent, OpenAIProvider, Runner } from '@openai/agents';

export async function runAgentThroughRuncap({
  baseURL,
  apiKey,
  runId,
}: {
  baseURL: string;
  apiKey: string;
  runId: string;
}) {
  const client = new OpenAI({ baseURL, apiKey, defaultHeaders: { 'X-Run-Id': runId } });
  const runner = new Runner({
    modelProvider: new OpenAIProvider({ openAIClient: client }),
    tracingDisabled: true, // traces are exported to OpenAI directly, not through runcap
  });
  const agent = new Agent({ name: 'Assistant', instructions: 'Answer in one sentence.', model: 'gpt-4o-mini' });

  const result = await runner.run(agent, 'Why cap what an agent run may spend?');
  return result.finalOutput ?? '';
}
