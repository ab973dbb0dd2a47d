// Contract: the budget plane's listings: runs newest activity first (filtered by key and state,
// paged by position) and one run's decisions in order (paged, pruned with the retention window).
import { describe, expect, it } from 'vitest';
import type { OpenRunRequest, RunRecord, StoredDecision } from '../../src/ledger/index.js';
import type { ContractContext } from './ledger-fixtures.js';
import { MINUTE_MS } from './ledger-fixtures.js';

const DAY_MS = 24 * 60 * MINUTE_MS;

function openRequest(ctx: ContractContext, runId: string, keyId: string): OpenRunRequest {
  return { tenant: ctx.tenant, runId, keyId, limitMicros: 5_000_000, idleTtlMs: DAY_MS, maxActivePerKey: 100 };
}

export function registerListingContract(ctx: ContractContext): void {
  describe('listings', () => {
    it('lists runs newest activity first, by key and state, one page after another', async (test) => {
      if (!ctx.hasClock) return test.skip();
      const ids = Array.from({ length: 5 }, (_, i) => ctx.id(`run${i}`));
      for (const [i, runId] of ids.entries()) {
        await ctx.store.runs.open(openRequest(ctx, runId, i % 2 === 0 ? 'k_alice' : 'k_bob'));
        ctx.advance(2 * MINUTE_MS);
      }
      // run0 is used again: it moves to the front; run3 is closed.
      await ctx.store.runs.open(openRequest(ctx, ids[0] ?? '', 'k_alice'));
      await ctx.store.runs.close(ctx.tenant, ids[3] ?? '');
      const list = (query: Partial<Parameters<typeof ctx.store.runs.list>[0]>) =>
        ctx.store.runs.list({ tenant: ctx.tenant, keyId: null, state: null, limit: 10, ...query });
      const names = (runs: readonly RunRecord[]) => runs.map((run) => ids.indexOf(run.runId));

      expect(names(await list({}))).toEqual([0, 4, 3, 2, 1]);
      expect(names(await list({ keyId: 'k_alice' }))).toEqual([0, 4, 2]);
      expect(names(await list({ state: 'closed' }))).toEqual([3]);
      expect(names(await list({ state: 'open', keyId: 'k_bob' }))).toEqual([1]);
      expect(await list({ tenant: `${ctx.tenant}-other` })).toEqual([]);

      // Paging: each page starts strictly after the last run of the one before.
      const seen: number[] = [];
      let after: { lastActivityAtMs: number; runId: string } | null = null;
      for (let pages = 0; pages < 10; pages += 1) {
        const page = await list({ limit: 2, after });
        if (page.length === 0) break;
        seen.push(...names(page));
        const last = page[page.length - 1] as RunRecord;
        after = { lastActivityAtMs: last.lastActivityAtMs, runId: last.runId };
      }
      expect(seen).toEqual([0, 4, 3, 2, 1]);
      // A page with a state filter skips what does not match and still fills up.
      expect(
        names(await list({ state: 'open', limit: 2, after: { lastActivityAtMs: Number.MAX_SAFE_INTEGER, runId: '' } })),
      ).toEqual([0, 4]);
    });

    it('orders runs used in the same millisecond by id, and pages through them without a gap', async () => {
      const ids = Array.from({ length: 4 }, (_, i) => ctx.id(`same${i}`));
      // Without a settable clock these may fall into different milliseconds: the order holds either way.
      for (const runId of ids) await ctx.store.runs.open(openRequest(ctx, runId, 'k_alice'));
      const all = await ctx.store.runs.list({ tenant: ctx.tenant, keyId: 'k_alice', state: null, limit: 10 });
      const expected = [...all].sort((x, y) =>
        x.lastActivityAtMs !== y.lastActivityAtMs
          ? y.lastActivityAtMs - x.lastActivityAtMs
          : x.runId < y.runId
            ? 1
            : -1,
      );
      expect(all.map((run) => run.runId)).toEqual(expected.map((run) => run.runId));
      expect(new Set(all.map((run) => run.runId))).toEqual(new Set(ids));
      const first = await ctx.store.runs.list({ tenant: ctx.tenant, keyId: 'k_alice', state: null, limit: 1 });
      const rest = await ctx.store.runs.list({
        tenant: ctx.tenant,
        keyId: 'k_alice',
        state: null,
        limit: 10,
        after: { lastActivityAtMs: first[0]?.lastActivityAtMs ?? 0, runId: first[0]?.runId ?? '' },
      });
      expect([...first, ...rest].map((run) => run.runId)).toEqual(all.map((run) => run.runId));
    });

    it("lists a run's decisions oldest first, paged, and drops pruned ones", async () => {
      const runId = ctx.id('run');
      const now = ctx.now();
      const decision = (offsetMs: number, run: string | null, suffix: string): StoredDecision => ({
        id: `bdgdec_${suffix}_${ctx.id('d')}`,
        tenant: ctx.tenant,
        keyId: 'k_alice',
        ...(run === null ? {} : { runId: run }),
        createdAtMs: now + offsetMs,
        record: { decision: 'allow', n: suffix },
      });
      const old = decision(-40 * DAY_MS, runId, 'old');
      const a = decision(0, runId, 'a');
      const b = decision(0, runId, 'b');
      const c = decision(5, runId, 'c');
      const elsewhere = decision(1, ctx.id('other'), 'x');
      const none = decision(2, null, 'y');
      for (const d of [c, elsewhere, b, none, old, a]) await ctx.store.decisions.put(d);
      const list = (limit: number, after: { createdAtMs: number; id: string } | null = null) =>
        ctx.store.decisions.listByRun({ tenant: ctx.tenant, runId, limit, after });

      const all = await list(10);
      expect(all.map((d) => d.record['n'])).toEqual(['old', 'a', 'b', 'c']);
      expect(all[1]).toEqual(a);
      const first = await list(2);
      const rest = await list(10, { createdAtMs: first[1]?.createdAtMs ?? 0, id: first[1]?.id ?? '' });
      expect([...first, ...rest].map((d) => d.id)).toEqual(all.map((d) => d.id));
      expect(await ctx.store.decisions.listByRun({ tenant: `${ctx.tenant}-x`, runId, limit: 10 })).toEqual([]);

      expect(await ctx.store.decisions.prune(now - 30 * DAY_MS)).toBe(1);
      expect((await list(10)).map((d) => d.record['n'])).toEqual(['a', 'b', 'c']);
      expect(await ctx.store.decisions.get(none.id)).toEqual(none);
    });
  });
}
