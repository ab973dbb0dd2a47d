// The Anthropic SDK through runcap: point baseURL at runcap (no /v1), name the run once, read
// where the budget stands from the headers; a refusal is an APIError whose message is the reason.
import Anthropic from '@anthropic-ai/sdk';

export async function askClaudeThroughRuncap({
  baseURL = process.env.ANTHROPIC_BASE_URL, // e.g. http://127.0.0.1:8787
  apiKey = process.env.ANTHROPIC_API_KEY,
  runId,
  runBudgetUsd, // this run's own ceiling, taken on the call that creates the run
}: {
  baseURL?: string;
  apiKey?: string;
  runId: string;
  runBudgetUsd?: string;
}) {
  const client = new Anthropic({
    baseURL,
    apiKey,
    defaultHeaders: { 'X-Run-Id': runId, ...(runBudgetUsd ? { 'X-Run-Budget-USD': runBudgetUsd } : {}) },
  });
  try {
    const { data, response } = await client.messages
      .create({
        model: 'claude-sonnet-5-5',
        max_tokens: 300,
        messages: [{ role: 'user', content: 'In one sentence: why cap what an agent run may spend?' }],
      })
      .withResponse();
    const text = data.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
    return { text, remainingUsd: response.headers.get('x-budget-remaining-usd'), refusal: null };
  } catch (error) {
    // runcap's refusals come in Anthropic's error shape with its own members beside: the SDK
    // does not retry a 402, error.message is "402 <the reason>", error.error is the body.
    if (!(error instanceof Anthropic.APIError) || error.status !== 402) throw error;
    const body = error.error as { code?: string; alternatives?: { model: string; estimate_usd: string }[] };
    return {
      text: null,
      remainingUsd: error.headers?.get('x-budget-remaining-usd') ?? null,
      refusal: { code: body.code, message: error.message, cheaperModels: body.alternatives?.map((a) => a.model) ?? [] },
    };
  }
}
