// The demo's simulated agent, written against the real `openai` SDK the way agents are:
// every step fans out parallel worker calls that resend the whole growing context, runs the
// tools they ask for, and appends the results. It watches X-Budget-Remaining-USD, downshifts to
// a cheaper model below a threshold, and stops at runcap's 402. It only speaks HTTP to runcap.
import OpenAI from 'openai';
import type { Micros } from '../money/micros.js';
import { budgetProblemOf, readBudgetHeaders, type BudgetProblem } from './budget-signals.js';
import { READ_FILE_TOOL, readSimFile } from './sim-workspace.js';

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ToolCall = OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;

export interface AgentOptions {
  readonly client: OpenAI;
  /** The run's ceiling, as the agent declared it (X-Run-Budget-USD). */
  readonly ceilingMicros: Micros;
  readonly primaryModel: string;
  readonly cheaperModel: string;
  /** Downshift when the remaining budget falls below this fraction of the ceiling, in percent. */
  readonly downshiftBelowPercent: number;
  /** Worker calls sent in parallel each step. */
  readonly parallel: number;
  readonly maxSteps: number;
  readonly maxOutputTokens: number;
  /** Lines of each file `read_file` returns (how fast the context grows). */
  readonly fileLines: number;
  readonly signal?: AbortSignal;
}

export interface CallResult {
  readonly worker: number;
  readonly model: string;
  /** X-Budget-Decision: allow | downgrade | advisory_warn | block. */
  readonly decision: string;
  readonly remainingMicros: Micros | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly streamed: boolean;
  readonly problem: BudgetProblem | null;
}

export type AgentEvent =
  | { readonly kind: 'calling'; readonly step: number; readonly model: string }
  | {
      readonly kind: 'step';
      readonly step: number;
      readonly model: string;
      readonly contextMessages: number;
      readonly calls: readonly CallResult[];
    }
  | {
      readonly kind: 'downshift';
      readonly step: number;
      readonly from: string;
      readonly to: string;
      readonly remainingMicros: Micros;
      readonly thresholdMicros: Micros;
    };

export type AgentOutcome =
  | { readonly kind: 'blocked'; readonly steps: number; readonly problem: BudgetProblem }
  | { readonly kind: 'max_steps'; readonly steps: number };

const SYSTEM_PROMPT =
  'You are a code auditor. Find every place where this service could spend money it has not reserved. ' +
  'Work in small steps: read one file per worker per step with read_file, note what you learn, and keep going until the audit is complete.';
const TASK =
  'Audit the repository for budget leaks: calls that reach the provider without a hold, holds never settled, and costs rounded down.';
const FOCUS = ['reservation paths', 'settlement paths', 'cost arithmetic', 'stream handling', 'expiry handling'];

export async function runAgent(
  options: AgentOptions,
  onEvent: (event: AgentEvent) => void | Promise<void>,
): Promise<AgentOutcome> {
  const context: Message[] = [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: TASK },
  ];
  const thresholdMicros = Math.floor((options.ceilingMicros * options.downshiftBelowPercent) / 100);
  let model = options.primaryModel;

  for (let step = 1; step <= options.maxSteps; step++) {
    await onEvent({ kind: 'calling', step, model });
    const workers = Array.from({ length: options.parallel }, (_, worker) => worker);
    const results = await withStepSignal(options.signal, (signal) =>
      Promise.all(workers.map((worker) => callWorker(options, signal, model, context, step, worker))),
    );

    for (const { toolCall, content } of results) {
      if (!toolCall) continue;
      context.push({ role: 'assistant', content, tool_calls: [toolCall] });
      context.push({ role: 'tool', tool_call_id: toolCall.id, content: runTool(toolCall, options.fileLines) });
    }
    const calls = results.map((r) => r.call);
    await onEvent({ kind: 'step', step, model, contextMessages: context.length, calls });

    const blocked = calls.find((c) => c.problem !== null)?.problem;
    if (blocked) return { kind: 'blocked', steps: step, problem: blocked };

    const remaining = calls.map((c) => c.remainingMicros).filter((r): r is Micros => r !== null);
    const tightest = remaining.length > 0 ? Math.min(...remaining) : null;
    if (model !== options.cheaperModel && tightest !== null && tightest < thresholdMicros) {
      await onEvent({
        kind: 'downshift',
        step,
        from: model,
        to: options.cheaperModel,
        remainingMicros: tightest,
        thresholdMicros,
      });
      model = options.cheaperModel;
    }
  }
  return { kind: 'max_steps', steps: options.maxSteps };
}

interface WorkerResult {
  readonly call: CallResult;
  readonly content: string | null;
  readonly toolCall: ToolCall | null;
}

async function callWorker(
  options: AgentOptions,
  signal: AbortSignal,
  model: string,
  context: readonly Message[],
  step: number,
  worker: number,
): Promise<WorkerResult> {
  const focus = FOCUS[worker % FOCUS.length] ?? 'reservation paths';
  const params = {
    model,
    messages: [
      ...context,
      {
        role: 'user' as const,
        content: `Worker ${worker + 1}/${options.parallel}, step ${step}: read the next file relevant to ${focus}.`,
      },
    ],
    tools: [READ_FILE_TOOL],
    max_completion_tokens: options.maxOutputTokens,
  };
  // The last worker streams, to show that streamed calls are metered the same way.
  const streamed = worker === options.parallel - 1;
  try {
    const reply = streamed
      ? await streamCall(options.client, signal, params)
      : await jsonCall(options.client, signal, params);
    const budget = readBudgetHeaders(reply.headers);
    return {
      call: {
        worker,
        model,
        decision: budget.decision ?? 'unknown',
        remainingMicros: budget.remainingMicros,
        promptTokens: reply.promptTokens,
        completionTokens: reply.completionTokens,
        streamed,
        problem: null,
      },
      content: reply.content,
      toolCall: reply.toolCall,
    };
  } catch (error) {
    const problem = budgetProblemOf(error);
    if (!problem) throw error;
    const call: CallResult = {
      worker,
      model,
      decision: problem.decision ?? 'block',
      remainingMicros: null,
      promptTokens: 0,
      completionTokens: 0,
      streamed,
      problem,
    };
    return { call, content: null, toolCall: null };
  }
}

interface Reply {
  readonly headers: Headers;
  readonly content: string | null;
  readonly toolCall: ToolCall | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

type Params = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;

async function jsonCall(client: OpenAI, signal: AbortSignal, params: Params): Promise<Reply> {
  const { data, response } = await client.chat.completions.create(params, { signal }).withResponse();
  const message = data.choices[0]?.message;
  const toolCall = message?.tool_calls?.find((call): call is ToolCall => call.type === 'function') ?? null;
  return {
    headers: response.headers,
    content: message?.content ?? null,
    toolCall,
    promptTokens: data.usage?.prompt_tokens ?? 0,
    completionTokens: data.usage?.completion_tokens ?? 0,
  };
}

async function streamCall(client: OpenAI, signal: AbortSignal, params: Params): Promise<Reply> {
  const { data: stream, response } = await client.chat.completions
    .create({ ...params, stream: true, stream_options: { include_usage: true } }, { signal })
    .withResponse();
  let content = '';
  let id = '';
  let name = '';
  let args = '';
  let promptTokens = 0;
  let completionTokens = 0;
  for await (const chunk of stream) {
    if (chunk.usage) ({ prompt_tokens: promptTokens, completion_tokens: completionTokens } = chunk.usage);
    const delta = chunk.choices[0]?.delta;
    content += delta?.content ?? '';
    for (const call of delta?.tool_calls ?? []) {
      id ||= call.id ?? '';
      name += call.function?.name ?? '';
      args += call.function?.arguments ?? '';
    }
  }
  const toolCall: ToolCall | null = id ? { id, type: 'function', function: { name, arguments: args } } : null;
  return { headers: response.headers, content: content || null, toolCall, promptTokens, completionTokens };
}

/** A signal for one step's calls that follows the run's signal, so listeners do not pile up on it step after step. */
async function withStepSignal<T>(
  parent: AbortSignal | undefined,
  body: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const step = new AbortController();
  const forward = (): void => step.abort(parent?.reason);
  if (parent?.aborted) forward();
  parent?.addEventListener('abort', forward, { once: true });
  try {
    return await body(step.signal);
  } finally {
    parent?.removeEventListener('abort', forward);
  }
}

/** Runs the one tool the agent has; a malformed call gets an error string, as a real agent would send back. */
function runTool(call: ToolCall, fileLines: number): string {
  try {
    const args: unknown = JSON.parse(call.function.arguments);
    const path =
      typeof args === 'object' && args !== null && 'path' in args && typeof args.path === 'string' ? args.path : null;
    if (call.function.name === 'read_file' && path) return readSimFile(path, fileLines);
  } catch {
    // fall through to the error text
  }
  return `error: cannot run ${call.function.name}(${call.function.arguments})`;
}
