// Contract: the bookkeeping beside the money ledger: runs (principal binding, active
// cap with idle TTL, close), decision records (put/get/patch/prune), Responses chains,
// spend attribution.
import { describe, expect, it } from 'vitest';
import type { OpenRunRequest, SpendGroupBy } from '../../src/ledger/index.js';
import type { ContractContext } from './ledger-fixtures.js';
import { MINUTE_MS, reserveOk, scope, expectLedgerError } from './ledger-fixtures.js';

const HOUR_MS = 60 * MINUTE_MS;

function openRequest(
  ctx: ContractContext,
  runId: string,
  keyId = 'k_alice',
  extra: Partial<OpenRunRequest> = {},
): OpenRunRequest {
  return { tenant: ctx.tenant, runId, keyId, limitMicros: 5_000_000, idleTtlMs: HOUR_MS, maxActivePerKey: 2, ...extra };
}

export function registerRecordsContract(ctx: ContractContext): void {
  describe('runs', () => {
    it('binds a run to its creator; another principal gets principal_mismatch', async () => {
      const runId = ctx.id('run');
      const created = await ctx.store.runs.open(openRequest(ctx, runId, 'k_alice', { tags: { agent: 'planner' } }));
      expect(created).toMatchObject({
        kind: 'created',
        run: { runId, keyId: 'k_alice', state: 'open', limitMicros: 5_000_000, tags: { agent: 'planner' } },
      });
      const again = await ctx.store.runs.open(openRequest(ctx, runId, 'k_alice', { limitMicros: 1 }));
      expect(again).toMatchObject({ kind: 'existing', run: { limitMicros: 5_000_000 } });
      expect(await ctx.store.runs.open(openRequest(ctx, runId, 'k_bob'))).toEqual({ kind: 'principal_mismatch' });
      expect(await ctx.store.runs.open(openRequest(ctx, runId, 'k_alice', { createOnly: true }))).toMatchObject({
        kind: 'exists',
      });
      expect(await ctx.store.runs.get(ctx.tenant, runId)).toMatchObject({ runId, keyId: 'k_alice' });
      expect(await ctx.store.runs.get(ctx.tenant, ctx.id('missing'))).toBeNull();
    });

    it('caps active runs per key; closing one frees a slot; other keys are independent', async () => {
      const [a, b, c] = [ctx.id('run_a'), ctx.id('run_b'), ctx.id('run_c')];
      await ctx.store.runs.open(openRequest(ctx, a));
      await ctx.store.runs.open(openRequest(ctx, b));
      expect(await ctx.store.runs.countActive(ctx.tenant, 'k_alice')).toBe(2);
      expect(await ctx.store.runs.open(openRequest(ctx, c))).toEqual({ kind: 'too_many_active', active: 2 });
      expect(await ctx.store.runs.get(ctx.tenant, c)).toBeNull();
      expect(await ctx.store.runs.open(openRequest(ctx, ctx.id('run_bob'), 'k_bob'))).toMatchObject({
        kind: 'created',
      });
      const closed = await ctx.store.runs.close(ctx.tenant, a);
      expect(closed).toMatchObject({ runId: a, state: 'closed' });
      expect(closed?.closedAtMs).not.toBeNull();
      expect(await ctx.store.runs.close(ctx.tenant, a)).toEqual(closed);
      expect(await ctx.store.runs.close(ctx.tenant, ctx.id('missing'))).toBeNull();
      expect(await ctx.store.runs.open(openRequest(ctx, a))).toMatchObject({
        kind: 'existing',
        run: { state: 'closed' },
      });
      expect(await ctx.store.runs.open(openRequest(ctx, c))).toMatchObject({ kind: 'created' });
      const listed = await ctx.store.runs.list({ tenant: ctx.tenant, keyId: 'k_alice', state: null, limit: 10 });
      expect(new Set(listed.map((run) => run.runId))).toEqual(new Set([a, b, c]));
      expect(await ctx.store.runs.list({ tenant: ctx.tenant, keyId: null, state: null, limit: 10 })).toHaveLength(4);
      expect(await ctx.store.runs.list({ tenant: ctx.tenant, keyId: null, state: null, limit: 1 })).toHaveLength(1);
    });

    it('idle runs stop counting after their TTL; use refreshes activity', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const [a, b] = [ctx.id('run_a'), ctx.id('run_b')];
      await ctx.store.runs.open(openRequest(ctx, a));
      ctx.advance(30 * MINUTE_MS);
      await ctx.store.runs.open(openRequest(ctx, b));
      ctx.advance(31 * MINUTE_MS); // a idle for 61 min, b for 31
      expect(await ctx.store.runs.countActive(ctx.tenant, 'k_alice')).toBe(1);
      const refreshed = await ctx.store.runs.open(openRequest(ctx, b));
      expect(refreshed).toMatchObject({ kind: 'existing', run: { lastActivityAtMs: ctx.now() } });
      const c = ctx.id('run_c');
      expect(await ctx.store.runs.open(openRequest(ctx, c))).toMatchObject({ kind: 'created' });
      // a came back after idling: it counts against the cap like a new run
      expect(await ctx.store.runs.open(openRequest(ctx, a))).toEqual({ kind: 'too_many_active', active: 2 });
      const listed = await ctx.store.runs.list({ tenant: ctx.tenant, keyId: 'k_alice', state: null, limit: 10 });
      // Newest activity first: c and b were used at the same moment (then id descending), a long before.
      expect(new Set(listed.slice(0, 2).map((run) => run.runId))).toEqual(new Set([b, c]));
      expect(listed[2]?.runId).toBe(a);
    });
  });

  describe('decisions', () => {
    it('put, get, shallow patch, prune', async () => {
      const now = ctx.now();
      const old = {
        id: ctx.id('bdgdec'),
        tenant: ctx.tenant,
        keyId: 'k_alice',
        createdAtMs: now - 40 * 24 * HOUR_MS,
        record: { outcome: 'allow' },
      };
      const fresh = {
        id: ctx.id('bdgdec'),
        tenant: ctx.tenant,
        keyId: 'k_alice',
        createdAtMs: now,
        record: { outcome: 'block', estimate: { usd: '1.00' }, model: 'gpt-4o' },
      };
      await ctx.store.decisions.put(old);
      await ctx.store.decisions.put(fresh);
      expect(await ctx.store.decisions.get(fresh.id)).toEqual(fresh);
      await ctx.store.decisions.patch(fresh.id, { actualMicros: 1234, estimate: { usd: '2.00' } });
      await ctx.store.decisions.patch(fresh.id, { usageSource: 'provider' });
      expect((await ctx.store.decisions.get(fresh.id))?.record).toEqual({
        outcome: 'block',
        model: 'gpt-4o',
        estimate: { usd: '2.00' },
        actualMicros: 1234,
        usageSource: 'provider',
      });
      await expect(ctx.store.decisions.patch(ctx.id('missing'), { a: 1 })).resolves.toBeUndefined();
      expect(await ctx.store.decisions.get(ctx.id('missing'))).toBeNull();
      expect(await ctx.store.decisions.prune(now - 30 * 24 * HOUR_MS)).toBe(1);
      expect(await ctx.store.decisions.get(old.id)).toBeNull();
      expect(await ctx.store.decisions.get(fresh.id)).not.toBeNull();
    });
  });

  describe('response chains', () => {
    it('remember and look up what a response was billed, per tenant', async () => {
      const id = ctx.id('resp');
      expect(await ctx.store.chains.lookup(ctx.tenant, id)).toBeNull();
      await ctx.store.chains.remember(ctx.tenant, id, { inputTokens: 1000, outputTokens: 20 });
      expect(await ctx.store.chains.lookup(ctx.tenant, id)).toEqual({ inputTokens: 1000, outputTokens: 20 });
      await ctx.store.chains.remember(ctx.tenant, id, { inputTokens: 1500, outputTokens: 30 });
      expect(await ctx.store.chains.lookup(ctx.tenant, id)).toEqual({ inputTokens: 1500, outputTokens: 30 });
      expect(await ctx.store.chains.lookup(`${ctx.tenant}-other`, id)).toBeNull();
      await expectLedgerError(
        ctx.store.chains.remember(ctx.tenant, id, { inputTokens: -1, outputTokens: 0 }),
        'invalid_amount',
      );
    });

    it('grows a conversation by what its turns were billed, concurrent turns included, and forgets it', async () => {
      const id = ctx.id('conv');
      const { chains } = ctx.store;
      expect(await chains.conversationTokens(ctx.tenant, id)).toBeNull();
      // First turn seen: the conversation holds what it was billed (input + output).
      await chains.growConversation(ctx.tenant, id, { billedTokens: 3_025, seenTokens: 0 });
      expect(await chains.conversationTokens(ctx.tenant, id)).toBe(3_025);
      // Two turns planned at 3,025 settle one after the other: both additions count.
      await chains.growConversation(ctx.tenant, id, { billedTokens: 3_050, seenTokens: 3_025 });
      await chains.growConversation(ctx.tenant, id, { billedTokens: 3_060, seenTokens: 3_025 });
      expect(await chains.conversationTokens(ctx.tenant, id)).toBe(3_060 + 25);
      // Never lowered by a smaller report.
      await chains.growConversation(ctx.tenant, id, { billedTokens: 10, seenTokens: 3_085 });
      expect(await chains.conversationTokens(ctx.tenant, id)).toBe(3_085);
      expect(await chains.conversationTokens(`${ctx.tenant}-other`, id)).toBeNull();
      await expectLedgerError(
        chains.growConversation(ctx.tenant, id, { billedTokens: -1, seenTokens: 0 }),
        'invalid_amount',
      );
      await chains.forgetConversation(ctx.tenant, id);
      expect(await chains.conversationTokens(ctx.tenant, id)).toBeNull();
    });
  });

  describe('spend', () => {
    it('groups settled spend; totals equal the committed rows; released rows are excluded', async () => {
      const run = scope('run', ctx.id('run'), null);
      const model = ctx.id('model');
      const attribution = (keyId: string, userId: string | null, feature: string | null) => ({
        runId: run.id,
        keyId,
        userId,
        teamId: 'research',
        feature,
        endpoint: '/v1/chat/completions',
      });
      const tokens = { inputTokens: 10, outputTokens: 5, cachedInputTokens: 1, reasoningTokens: 2 };
      const a = await reserveOk(ctx, [run], 500, { model, attribution: attribution('k_alice', 'alice', 'search') });
      const b = await reserveOk(ctx, [run], 500, { model, attribution: attribution('k_alice', 'alice', null) });
      const c = await reserveOk(ctx, [run], 500, {
        model: 'gpt-4o-mini',
        attribution: attribution('k_bob', 'bob', 'search'),
      });
      const released = await reserveOk(ctx, [run], 500, { model, attribution: attribution('k_bob', 'bob', 'search') });
      const expired = await reserveOk(ctx, [run], 400, {
        model,
        ttlMs: MINUTE_MS,
        attribution: attribution('k_bob', null, null),
      });
      await ctx.ledger.commit(a.id, { actualMicros: 300, usageSource: 'provider', tokens });
      await ctx.ledger.commit(b.id, { actualMicros: 200, usageSource: 'provider', tokens });
      await ctx.ledger.commit(c.id, { actualMicros: 100, usageSource: 'estimated' });
      await ctx.ledger.release(released.id);
      await ctx.ledger.markForwarded(expired.id);
      await ctx.ledger.expireDue(expired.expiresAtMs + 10 * MINUTE_MS);
      const from = ctx.now() - HOUR_MS;
      const to = ctx.now() + 48 * HOUR_MS;
      const spend = (groupBy: SpendGroupBy, keyId: string | null = null) =>
        ctx.store.spend.spend({ tenant: ctx.tenant, keyId, groupBy, fromMs: from, toMs: to });

      expect(await spend('key')).toEqual([
        {
          group: 'k_alice',
          costMicros: 500,
          calls: 2,
          inputTokens: 20,
          outputTokens: 10,
          cachedInputTokens: 2,
          reasoningTokens: 4,
        },
        {
          group: 'k_bob',
          costMicros: 500,
          calls: 2,
          inputTokens: 0,
          outputTokens: 0,
          cachedInputTokens: 0,
          reasoningTokens: 0,
        },
      ]);
      expect((await spend('user')).map((row) => [row.group, row.costMicros, row.calls])).toEqual([
        ['alice', 500, 2],
        [null, 400, 1],
        ['bob', 100, 1],
      ]);
      expect((await spend('feature')).map((row) => [row.group, row.costMicros])).toEqual([
        [null, 600],
        ['search', 400],
      ]);
      expect((await spend('model')).map((row) => [row.group, row.costMicros])).toEqual([
        [model, 900],
        ['gpt-4o-mini', 100],
      ]);
      for (const groupBy of ['run', 'team'] as const) {
        const rows = await spend(groupBy);
        expect(rows.map((row) => [row.group, row.costMicros, row.calls])).toEqual([
          [groupBy === 'run' ? run.id : 'research', 1_000, 4],
        ]);
      }
      const [runView] = await ctx.ledger.view(ctx.tenant, [run]);
      expect(runView?.committedMicros).toBe(1_000);
      expect((await spend('key', 'k_bob')).map((row) => row.group)).toEqual(['k_bob']);
      expect(
        await ctx.store.spend.spend({
          tenant: ctx.tenant,
          keyId: null,
          groupBy: 'key',
          fromMs: to,
          toMs: to + HOUR_MS,
        }),
      ).toEqual([]);
      const everyone = await ctx.store.spend.spend({
        tenant: null,
        keyId: null,
        groupBy: 'model',
        fromMs: from,
        toMs: to,
      });
      expect(everyone.find((row) => row.group === model)?.costMicros).toBe(900);
    });
  });
}
