// The Vercel AI SDK through runcap: a custom OpenAI provider instance with runcap's base URL and
// the run header; the budget headers come back on `response.headers`.
import { createOpenAI } from '@ai-sdk/openai';
import { generateText } from 'ai';

export async function askWithAiSdk({ baseURL, apiKey, runId }: { baseURL: string; apiKey: string; runId: string }) {
  const openai = createOpenAI({ baseURL, apiKey, headers: { 'X-Run-Id': runId } });

  const { text, response } = await generateText({
    model: openai('gpt-4o-mini'),
    prompt: 'In one sentence: why cap what an agent run may spend?',
    maxOutputTokens: 200,
  });
  return { text, remainingUsd: response.headers?.['x-budget-remaining-usd'] ?? null };
}
