// How an agent reacts to runcap's budget signals: watch X-Budget-Remaining-USD on every reply,
// and on a 402 retry once on the first cheaper alternative runcap suggests, or stop cleanly.
import OpenAI from 'openai';

type Params = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;

/** What a 402 from runcap carries in `error.error` (the OpenAI-style member of its problem+json). */
interface BudgetRefusal {
  code: string; // run_ceiling_reached, key_ceiling_reached, ...
  message: string;
  budget?: { limit_usd: string; remaining_usd: string; estimate_usd: string };
  alternatives?: { model: string; estimate_usd: string }[]; // cheaper models that fit right now
}

export type BudgetedReply =
  | {
      ok: true;
      completion: OpenAI.Chat.Completions.ChatCompletion;
      model: string;
      decision: string | null;
      remainingUsd: string | null;
    }
  | { ok: false; refusal: BudgetRefusal };

export async function callWithBudget(client: OpenAI, params: Params, retried = false): Promise<BudgetedReply> {
  try {
    const { data, response } = await client.chat.completions.create(params).withResponse();
    return {
      ok: true,
      completion: data,
      model: params.model,
      decision: response.headers.get('x-budget-decision'),
      remainingUsd: response.headers.get('x-budget-remaining-usd'), // downshift early when this gets low
    };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError) || error.status !== 402) throw error;
    const refusal = error.error as BudgetRefusal;
    const cheaper = refusal.alternatives?.[0];
    if (retried || !cheaper) return { ok: false, refusal }; // out of budget: stop the run, keep what it has
    return callWithBudget(client, { ...params, model: cheaper.model }, true);
  }
}
