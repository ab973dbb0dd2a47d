// Messages between the benchmark runner and the load-worker process (over the fork IPC
// channel). Latencies travel as raw samples in ms so the runner can take exact percentiles.

export interface ClosedLoopTask {
  readonly kind: 'closed-loop';
  /** Full URL, e.g. http://127.0.0.1:8787/v1/chat/completions */
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly durationS: number;
  /** Each connection sends X-Run-Id `${runIdPrefix}-${n}`. */
  readonly runIdPrefix: string;
}

export interface ClosedLoopResult {
  readonly ok: number;
  readonly failed: number;
  readonly elapsedS: number;
  readonly latenciesMs: readonly number[];
}

export interface StreamsTask {
  readonly kind: 'streams';
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly concurrency: number;
  readonly durationS: number;
  readonly runIdPrefix: string;
}

export interface StreamsResult {
  readonly ok: number;
  readonly failed: number;
  readonly elapsedS: number;
  /** Time to the first body byte (the first SSE event), ms. */
  readonly ttfbMs: readonly number[];
  /** Time to the end of the stream, ms. */
  readonly totalMs: readonly number[];
  readonly bytes: number;
}

export interface AgentLoopTask {
  readonly kind: 'agent-loop';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly runs: number;
  readonly steps: number;
  readonly newCharsPerStep: number;
  /** Makes every text of this task unique (no cache hits across tasks or runs). */
  readonly seed: string;
}

export interface AgentLoopResult {
  readonly failed: number;
  readonly elapsedS: number;
  /** latenciesMs[step][run] */
  readonly latenciesMs: readonly (readonly number[])[];
  readonly lastBodyChars: number;
}

export interface StallTask {
  readonly kind: 'stall';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly smallBody: string;
  /** Small streaming calls are sent open-loop at this rate (a stall cannot slow the sender). */
  readonly smallRatePerS: number;
  readonly durationS: number;
  /** Never-seen large-context calls sent open-loop every largeEveryMs (none when 0). */
  readonly largeEveryMs: number;
  readonly largeChars: number;
  readonly seed: string;
}

export interface StallResult {
  readonly small: StreamsResult;
  readonly largeSent: number;
  readonly largeFailed: number;
  readonly largeMs: readonly number[];
}

export type LoadTask = ClosedLoopTask | StreamsTask | AgentLoopTask | StallTask;
export type LoadResult = ClosedLoopResult | StreamsResult | AgentLoopResult | StallResult;

export interface TaskMessage {
  readonly id: number;
  readonly task: LoadTask;
}

export type ReplyMessage =
  { readonly id: number; readonly result: LoadResult } | { readonly id: number; readonly error: string };
