// The OpenAI SDK through runcap: point baseURL at runcap, name the run once, and read where
// the budget stands from the response headers.
import OpenAI from 'openai';

export async function askThroughRuncap({
  baseURL = process.env.OPENAI_BASE_URL, // e.g. http://127.0.0.1:8787/v1
  apiKey = process.env.OPENAI_API_KEY,
  runId,
}: {
  baseURL?: string;
  apiKey?: string;
  runId: string;
}) {
  const client = new OpenAI({ baseURL, apiKey, defaultHeaders: { 'X-Run-Id': runId } });

  const { data, response } = await client.chat.completions
    .create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'In one sentence: why cap what an agent run may spend?' }],
      max_completion_tokens: 200,
    })
    .withResponse();

  return {
    text: data.choices[0]?.message.content ?? '',
    decision: response.headers.get('x-budget-decision'), // allow | downgrade | advisory_warn | block
    remainingUsd: response.headers.get('x-budget-remaining-usd'), // tightest ceiling, after this call's hold
    decisionId: response.headers.get('x-budget-decision-id'), // GET /budget/decisions/{id} for the details
  };
}
