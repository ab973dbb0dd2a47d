// Contract: sub-agent runs and ceiling changes in the run store (docs/design.md §2, §12). A child
// is bound under its parent (same principal, at most 4 deep, no cycles) with its ancestors
// returned for the reserve; its ceiling defaults to the parent's remaining budget; every refusal
// writes nothing. A ceiling change records who, when, from and to.
import { describe, expect, it } from 'vitest';
import { MAX_RUN_DEPTH, type OpenRunRequest } from '../../src/ledger/index.js';
import type { ContractContext } from './ledger-fixtures.js';
import { MINUTE_MS, reserveOk, scope } from './ledger-fixtures.js';

function openRequest(ctx: ContractContext, runId: string, extra: Partial<OpenRunRequest> = {}): OpenRunRequest {
  return {
    tenant: ctx.tenant,
    runId,
    keyId: 'k_alice',
    limitMicros: 5_000,
    idleTtlMs: 60 * MINUTE_MS,
    maxActivePerKey: 100,
    ...extra,
  };
}

export function registerRunTreeContract(ctx: ContractContext): void {
  const open = (runId: string, extra: Partial<OpenRunRequest> = {}) =>
    ctx.store.runs.open(openRequest(ctx, runId, extra));

  describe('sub-agent runs', () => {
    it('binds a child under its parent with its ancestors; its ceiling defaults to what the parent has left', async () => {
      const root = ctx.id('root');
      await open(root, { limitMicros: 1_000 });
      await reserveOk(ctx, [scope('run', root, 1_000)], 300);
      const child = ctx.id('child');
      const created = await open(child, { parentRunId: root, inheritLimit: true, limitMicros: 5_000 });
      expect(created).toMatchObject({
        kind: 'created',
        run: { runId: child, parentRunId: root, depth: 1, limitMicros: 700 },
        ancestors: [{ runId: root, limitMicros: 1_000, state: 'open' }],
      });
      const explicit = ctx.id('child');
      expect(await open(explicit, { parentRunId: root, limitMicros: 5_000 })).toMatchObject({
        run: { limitMicros: 5_000, depth: 1 },
      });
      const grandchild = ctx.id('grandchild');
      expect(await open(grandchild, { parentRunId: child })).toMatchObject({
        kind: 'created',
        run: { depth: 2, parentRunId: child },
        ancestors: [{ runId: child }, { runId: root }],
      });
      // Later calls may name the same parent or none; the ancestors come back either way.
      for (const parentRunId of [undefined, child]) {
        expect(await open(grandchild, { parentRunId })).toMatchObject({
          kind: 'existing',
          ancestors: [{ runId: child, limitMicros: 700 }, { runId: root }],
        });
      }
      expect((await ctx.store.runs.get(ctx.tenant, grandchild))?.parentRunId).toBe(child);
      expect((await ctx.store.runs.get(ctx.tenant, root))?.parentRunId).toBeNull();
      expect((await ctx.store.runs.children(ctx.tenant, root)).map((run) => run.runId)).toEqual([child, explicit]);
      expect(await ctx.store.runs.children(ctx.tenant, grandchild)).toEqual([]);
      await ctx.store.runs.close(ctx.tenant, root);
      expect(await open(grandchild)).toMatchObject({ ancestors: [{ runId: child }, { runId: root, state: 'closed' }] });
    });

    it('refuses a missing, foreign, closed or too deep parent and any cycle, writing nothing', async () => {
      const root = ctx.id('root');
      await open(root);
      const refused = async (runId: string, extra: Partial<OpenRunRequest>, expected: Record<string, unknown>) => {
        const before = await ctx.store.runs.get(ctx.tenant, runId);
        expect(await open(runId, extra)).toEqual(expected);
        expect(await ctx.store.runs.get(ctx.tenant, runId)).toEqual(before);
      };
      await refused(ctx.id('child'), { parentRunId: ctx.id('missing') }, { kind: 'parent_not_found' });
      await refused(ctx.id('child'), { parentRunId: root, keyId: 'k_bob' }, { kind: 'parent_principal_mismatch' });
      const self = ctx.id('self');
      await refused(self, { parentRunId: self }, { kind: 'cycle', currentParentRunId: null });

      const chain = [root];
      for (let depth = 1; depth <= MAX_RUN_DEPTH; depth += 1) {
        const id = ctx.id(`depth${depth}`);
        expect(await open(id, { parentRunId: chain[chain.length - 1] })).toMatchObject({ run: { depth } });
        chain.push(id);
      }
      await refused(ctx.id('too_deep'), { parentRunId: chain[MAX_RUN_DEPTH] }, { kind: 'too_deep' });
      // root -> depth1 -> ...: making root a child of its own descendant is a cycle.
      await refused(root, { parentRunId: chain[2] }, { kind: 'cycle', currentParentRunId: null });
      const other = ctx.id('other');
      await open(other);
      await refused(chain[2] ?? '', { parentRunId: other }, { kind: 'parent_conflict', currentParentRunId: chain[1] });
      await ctx.store.runs.close(ctx.tenant, other);
      await refused(ctx.id('child'), { parentRunId: other }, { kind: 'parent_closed' });
      expect(await ctx.store.runs.children(ctx.tenant, other)).toEqual([]);
    });
  });

  describe('sub-agent runs and retention', () => {
    it('a parent stays while a sub-agent run does; a pruned run takes its brake state and history along', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const retentionMs = 30 * 24 * 60 * MINUTE_MS;
      const [parent, child] = [ctx.id('parent'), ctx.id('child')];
      await open(parent);
      await open(child, { parentRunId: parent });
      await ctx.store.runs.setLimit(ctx.tenant, child, 9_000, 'k_alice');
      const loop = { loop: { runId: child, stepHash: 'same', maxRepeats: 1 } };
      const brakes = { ...loop, velocity: { limitMicros: 1_000_000 } };
      for (let call = 0; call < 2; call += 1) {
        const held = await reserveOk(ctx, [scope('run', child, 9_000)], 10, { brakes });
        await ctx.ledger.commit(held.id, { actualMicros: 5, usageSource: 'provider' });
      }
      ctx.advance(retentionMs - 60_000);
      await open(child); // the child is still in use; the parent is not
      ctx.advance(120_000);
      await ctx.store.retention.prune(ctx.now() - retentionMs, 1_000);
      expect(await ctx.store.runs.get(ctx.tenant, parent)).not.toBeNull();
      expect(await ctx.store.runs.get(ctx.tenant, child)).not.toBeNull();

      ctx.advance(retentionMs + 60_000);
      await ctx.store.retention.prune(ctx.now() - retentionMs, 1_000);
      await ctx.store.retention.prune(ctx.now() - retentionMs, 1_000);
      expect(await ctx.store.runs.get(ctx.tenant, child)).toBeNull();
      expect(await ctx.store.runs.get(ctx.tenant, parent)).toBeNull();
      // The id is free again with nothing of the old run: no history, the loop count starts over.
      expect(await open(child)).toMatchObject({ kind: 'created', run: { parentRunId: null } });
      expect(await ctx.store.runs.limitHistory(ctx.tenant, child)).toEqual([]);
      await reserveOk(ctx, [scope('run', child, 9_000)], 10, { brakes: loop });
      await reserveOk(ctx, [scope('run', child, 9_000)], 10, { brakes: loop });
    });
  });

  describe('ceiling changes', () => {
    it('sets a new ceiling and records who, when, from and to; a closed run keeps its ceiling', async () => {
      const runId = ctx.id('run');
      await open(runId, { limitMicros: 1_000 });
      const raised = await ctx.store.runs.setLimit(ctx.tenant, runId, 8_000, 'k_alice');
      expect(raised).toMatchObject({
        kind: 'changed',
        run: { runId, limitMicros: 8_000 },
        change: { changedBy: 'k_alice', fromMicros: 1_000, toMicros: 8_000 },
      });
      if (raised.kind === 'changed' && ctx.hasClock) expect(raised.change.atMs).toBe(ctx.now());
      expect(await ctx.store.runs.setLimit(ctx.tenant, runId, 500, 'admin')).toMatchObject({ kind: 'changed' });
      expect((await ctx.store.runs.get(ctx.tenant, runId))?.limitMicros).toBe(500);
      expect(await open(runId)).toMatchObject({ kind: 'existing', run: { limitMicros: 500 } });
      const history = await ctx.store.runs.limitHistory(ctx.tenant, runId);
      expect(history.map(({ changedBy, fromMicros, toMicros }) => ({ changedBy, fromMicros, toMicros }))).toEqual([
        { changedBy: 'k_alice', fromMicros: 1_000, toMicros: 8_000 },
        { changedBy: 'admin', fromMicros: 8_000, toMicros: 500 },
      ]);
      expect(await ctx.store.runs.setLimit(ctx.tenant, ctx.id('missing'), 1, 'admin')).toEqual({ kind: 'not_found' });
      await ctx.store.runs.close(ctx.tenant, runId);
      expect(await ctx.store.runs.setLimit(ctx.tenant, runId, 9_000, 'admin')).toMatchObject({
        kind: 'closed',
        run: { limitMicros: 500 },
      });
      expect(await ctx.store.runs.limitHistory(ctx.tenant, runId)).toHaveLength(2);
      expect(await ctx.store.runs.limitHistory(ctx.tenant, ctx.id('missing'))).toEqual([]);
    });
  });
}
