// Background responses in the fake upstream, as the real Responses API behaves (OpenAI guide
// "Background mode"): `background: true` answers at once with status `queued` (or, streamed,
// starts a stream whose first event carries the id), and the response then runs to its end on
// the provider's side whatever happens to the client's connection, billing the whole answer.
// GET /v1/responses/{id} shows its current state (usage once it ended; 404 to another key);
// POST /v1/responses/{id}/cancel stops it (status `cancelled`, no usage). Test-only.
import type { ServerResponse } from 'node:http';
import { responseEvents, responseObject, type Json, type ReplyPlan } from './fake-openai-bodies.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface StoredResponse {
  readonly plan: ReplyPlan;
  readonly request: Json;
  /** Who created it: only the same key may read or cancel it. */
  readonly authorization: string;
  readonly startedAtMs: number;
  readonly durationMs: number;
  cancelledAtMs: number | null;
}

export interface BackgroundStore {
  /** Starts a background response that ends `durationMs` from now. */
  start(plan: ReplyPlan, request: Json, authorization: string, durationMs: number): void;
  /** The response object now, or null when unknown to this key. */
  get(id: string, authorization: string): Json | null;
  cancel(id: string, authorization: string): Json | null;
  /** Output tokens the provider billed so far for ended responses (what the account pays). */
  billedOutputTokens(id: string): number | null;
  /** Number of GET retrievals per response id. */
  readonly retrievals: ReadonlyMap<string, number>;
}

export function createBackgroundStore(): BackgroundStore {
  const responses = new Map<string, StoredResponse>();
  const retrievals = new Map<string, number>();

  const render = (stored: StoredResponse): Json => {
    const now = Date.now();
    const done = now >= stored.startedAtMs + stored.durationMs;
    const base = { background: true };
    if (stored.cancelledAtMs !== null) {
      return { ...responseObject(stored.plan, stored.request, 'in_progress'), ...base, status: 'cancelled' };
    }
    if (!done) {
      const status = now < stored.startedAtMs + Math.min(50, stored.durationMs / 10) ? 'queued' : 'in_progress';
      return { ...responseObject(stored.plan, stored.request, 'in_progress'), ...base, status };
    }
    const terminal = stored.plan.truncated ? 'incomplete' : 'completed';
    return { ...responseObject(stored.plan, stored.request, terminal), ...base };
  };

  const find = (id: string, authorization: string): StoredResponse | null => {
    const stored = responses.get(id);
    return stored && stored.authorization === authorization ? stored : null;
  };

  return {
    start(plan, request, authorization, durationMs) {
      responses.set(plan.id, {
        plan,
        request,
        authorization,
        startedAtMs: Date.now(),
        durationMs,
        cancelledAtMs: null,
      });
    },
    get(id, authorization) {
      const stored = find(id, authorization);
      if (!stored) return null;
      retrievals.set(id, (retrievals.get(id) ?? 0) + 1);
      return render(stored);
    },
    cancel(id, authorization) {
      const stored = find(id, authorization);
      if (!stored) return null;
      if (Date.now() < stored.startedAtMs + stored.durationMs) stored.cancelledAtMs ??= Date.now();
      return render(stored);
    },
    billedOutputTokens(id) {
      const stored = responses.get(id);
      if (!stored || stored.cancelledAtMs !== null || Date.now() < stored.startedAtMs + stored.durationMs) return null;
      return stored.plan.completionTokens;
    },
    retrievals,
  };
}

/**
 * A background response's answer: `queued` JSON at once, or a stream paced to end when the
 * response ends on the provider's side. The client leaving stops the writes, not the response.
 */
export async function runInBackground(
  res: ServerResponse,
  requestId: string,
  plan: ReplyPlan,
  body: Json,
  s: { readonly responseHeaders: Readonly<Record<string, string | readonly string[]>>; readonly backgroundMs: number },
  streaming: boolean,
): Promise<void> {
  if (!streaming) {
    res.writeHead(200, { ...s.responseHeaders, 'content-type': 'application/json', 'x-request-id': requestId });
    res.end(JSON.stringify({ ...responseObject(plan, body, 'in_progress'), status: 'queued', background: true }));
    return;
  }
  const events = responseEvents(plan, body, plan.truncated ? 'incomplete' : 'completed').map(({ event }, i) => {
    const response = event['response'];
    if (!isRecord(response)) return event;
    return { ...event, response: { ...response, background: true, ...(i === 0 ? { status: 'queued' } : {}) } };
  });
  res.writeHead(200, {
    ...s.responseHeaders,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': requestId,
  });
  const gapMs = s.backgroundMs / Math.max(1, events.length - 1);
  for (const [i, event] of events.entries()) {
    if (i > 0) await sleep(gapMs);
    if (res.destroyed) return;
    await new Promise<void>((resolve) =>
      res.write(`event: ${String(event['type'])}\ndata: ${JSON.stringify(event)}\n\n`, () => resolve()),
    );
  }
  res.end();
}
