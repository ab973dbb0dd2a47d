// A run's place in its tree, for the budget API's run report (docs/design.md §2): its ancestors
// (whose ceilings its calls also hold against), its sub-agent runs, and the spend of the run
// together with all its descendants, by model. Reads only.
import { MAX_RUN_DEPTH, type AncestorRun, type RunRecord, type SpendRow } from '../../ledger/index.js';
import { formatUsd } from '../../money/micros.js';
import type { PipelineDeps } from '../deps.js';
import { storeCall } from './store-call.js';

/** Parent first, up to the root. */
export async function ancestorsOf(deps: PipelineDeps, run: RunRecord): Promise<AncestorRun[]> {
  const chain: AncestorRun[] = [];
  for (let id = run.parentRunId; id !== null && chain.length < MAX_RUN_DEPTH;) {
    const parentId = id;
    const parent = await storeCall(deps, 'get_run', () => deps.store.runs.get(run.tenant, parentId));
    if (parent === null) break;
    chain.push({ runId: parent.runId, limitMicros: parent.limitMicros, state: parent.state });
    id = parent.parentRunId;
  }
  return chain;
}

/** Every run below `run`, level by level (children first). */
export async function descendantsOf(deps: PipelineDeps, run: RunRecord): Promise<RunRecord[]> {
  const all: RunRecord[] = [];
  let level: readonly RunRecord[] = [run];
  for (let depth = run.depth; depth < MAX_RUN_DEPTH && level.length > 0; depth += 1) {
    const next = await Promise.all(
      level.map((parent) => storeCall(deps, 'run_children', () => deps.store.runs.children(run.tenant, parent.runId))),
    );
    level = next.flat();
    all.push(...level);
  }
  return all;
}

/** Settled spend of the runs, merged by model. */
export async function spendByModel(deps: PipelineDeps, runs: readonly RunRecord[]): Promise<SpendRow[]> {
  const perRun = await Promise.all(
    runs.map((run) =>
      storeCall(deps, 'spend', () =>
        deps.store.spend.spend({
          tenant: run.tenant,
          keyId: run.keyId,
          runId: run.runId,
          groupBy: 'model',
          fromMs: 0,
          toMs: Number.MAX_SAFE_INTEGER,
        }),
      ),
    ),
  );
  const merged = new Map<string | null, SpendRow>();
  for (const row of perRun.flat()) {
    const seen = merged.get(row.group);
    merged.set(
      row.group,
      seen === undefined
        ? row
        : {
            group: row.group,
            costMicros: seen.costMicros + row.costMicros,
            calls: seen.calls + row.calls,
            inputTokens: seen.inputTokens + row.inputTokens,
            outputTokens: seen.outputTokens + row.outputTokens,
            cachedInputTokens: seen.cachedInputTokens + row.cachedInputTokens,
            reasoningTokens: seen.reasoningTokens + row.reasoningTokens,
          },
    );
  }
  return [...merged.values()].sort((a, b) => b.costMicros - a.costMicros);
}

/** A direct child in its parent's report: its own ceiling and its scope's counters (its descendants included). */
export async function renderChildren(deps: PipelineDeps, children: readonly RunRecord[]) {
  if (children.length === 0) return [];
  const tenant = children[0]?.tenant ?? '';
  const views = await storeCall(deps, 'view', () =>
    deps.store.ledger.view(
      tenant,
      children.map((child) => ({
        type: 'run' as const,
        id: child.runId,
        window: 'none' as const,
        limitMicros: child.limitMicros,
        mode: 'hard_gate' as const,
      })),
    ),
  );
  return children.map((child, index) => {
    const view = views[index];
    return {
      id: child.runId,
      state: child.state,
      limit_usd: formatUsd(child.limitMicros),
      committed_usd: formatUsd(view?.committedMicros ?? 0),
      reserved_usd: formatUsd(view?.reservedMicros ?? 0),
      remaining_usd: formatUsd(view?.availableMicros ?? child.limitMicros),
    };
  });
}
