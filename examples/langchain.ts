// LangChain through runcap: ChatOpenAI takes the OpenAI client options under `configuration`.
import { ChatOpenAI } from '@langchain/openai';

export async function askWithLangChain({ baseURL, apiKey, runId }: { baseURL: string; apiKey: string; runId: string }) {
  const model = new ChatOpenAI({
    model: 'gpt-4o-mini',
    apiKey,
    maxTokens: 200,
    configuration: { baseURL, defaultHeaders: { 'X-Run-Id': runId } },
  });

  const reply = await model.invoke('In one sentence: why cap what an agent run may spend?');
  return reply.text;
}
