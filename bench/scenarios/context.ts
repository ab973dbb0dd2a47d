// What every HTTP scenario gets: the targets (direct, bare proxy, runcap variants), the
// load worker, round count and durations, and helpers to interleave the targets; and the
// environment the runner starts once for every scenario.
import type { LoadClient } from '../lib/load-client.js';
import { sampleProcess, type RedisChoice, type Service } from '../lib/processes.js';
import type { Table } from '../lib/stats.js';

/** The processes the runner starts once: fake upstream, Redis (when available), the load worker. */
export interface Environment {
  readonly upstream: Service;
  readonly redis: RedisChoice | null;
  readonly logLevel: string;
  readonly load: LoadClient;
  /** A built checkout to compare with (--baseline), or null. */
  readonly baseline: string | null;
}

export type TargetName =
  'direct' | 'bare' | 'runcap' | 'runcap-redis' | 'runcap-base' | 'runcap-base-redis' | 'portkey';

export interface Target {
  readonly name: TargetName;
  /** Base URL (no /v1). */
  readonly url: string;
  /** The proxy's pid (CPU per request); null for direct. */
  readonly pid: number | null;
  /** Headers every request to this target needs besides the client's (a peer's routing headers). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface BenchContext {
  readonly targets: readonly Target[];
  readonly load: LoadClient;
  readonly rounds: number;
  /** Scales every duration (quick mode: < 1). */
  readonly timeScale: number;
  readonly notes: string[];
  log(message: string): void;
}

export interface ScenarioResult {
  readonly tables: readonly Table[];
  /** Raw figures, written to .bench-out/results.json. */
  readonly data: Record<string, unknown>;
  /** Named summary figures the target checks read (targets.ts), e.g. "small.seenRps.runcap". */
  readonly figures?: Readonly<Record<string, number>>;
}

export const CHAT_PATH = '/v1/chat/completions';
/** Passthrough identity: runcap hashes it into the key id and forwards it unchanged. */
export const CLIENT_HEADERS: Readonly<Record<string, string>> = { authorization: 'Bearer sk-bench-0000000000000000' };

/** The client's headers for `target`: its own routing headers, CLIENT_HEADERS, then `extra`. */
export function headersFor(
  target: Target,
  extra: Readonly<Record<string, string>> = {},
): Readonly<Record<string, string>> {
  return { ...target.headers, ...CLIENT_HEADERS, ...extra };
}

/** The targets in a different order each round, so no target always runs first or last. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export function seconds(context: BenchContext, full: number): number {
  return Math.max(1, Math.round(full * context.timeScale));
}

/** CPU ms the target's process used while `work` ran (NaN for direct). */
export async function withCpu<T>(target: Target, work: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  const before = target.pid === null ? null : sampleProcess(target.pid);
  const result = await work();
  const after = target.pid === null ? null : sampleProcess(target.pid);
  return { result, cpuMs: before && after ? after.cpuMs - before.cpuMs : Number.NaN };
}

export function unique(label: string): string {
  return `${label}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
