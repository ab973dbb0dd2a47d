// The audit of the kill -9 tests (test/support/crash-audit.ts) must see what it claims to
// see: balanced books pass, and each kind of broken book is named (a live hold, an answered
// call charged nothing or with other tokens, a call the upstream got without a hold, a call
// held twice, a scope counter off by one micro-USD).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type Store } from '../src/ledger/index.js';
import { auditBooks, crashScopes } from './support/crash-audit.js';
import { promptTokensOf } from './support/crash-load.js';
import type { RecordedRequest, RequestOutcome } from './support/fake-upstream.js';

const TENANT = 'audit';
const SCOPES = crashScopes(['run-a'], 'k_a', 'team-a');
const LIMITED = SCOPES.map((scope) => ({ ...scope, limitMicros: 1_000_000_000 }));

let dir: string;
let path: string;
let store: Store;
const ids: string[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runcap-audit-'));
  path = join(dir, 'ledger.sqlite');
  store = openSqliteStore({ path });
  ids.length = 0;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function request(callId: string, maxTokens: number, outcome: RequestOutcome = 'completed'): RecordedRequest {
  const body = {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: `${callId} hello` }],
    max_tokens: maxTokens,
  };
  return {
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'idempotency-key': callId },
    body,
    rawBody: JSON.stringify(body),
    mode: 'ok',
    outcome,
    ended: Promise.resolve(outcome),
    served: null,
  };
}

async function hold(callId: string, reservationId = `rsv_${callId}`): Promise<string> {
  const outcome = await store.ledger.reserve({
    reservationId,
    decisionId: `dec_${reservationId}`,
    tenant: TENANT,
    scopes: LIMITED,
    amountMicros: 500,
    ttlMs: 60_000,
    idempotencyKey: `k_a:proxy:${callId}`,
    model: 'gpt-4o-mini',
    priceTableVersion: 'test',
    attribution: { runId: 'run-a', keyId: 'k_a', userId: null, teamId: 'team-a', feature: null, endpoint: 'chat' },
    forwarded: true,
  });
  if (outcome.kind !== 'reserved') throw new Error('reserve refused');
  ids.push(reservationId);
  return reservationId;
}

async function commit(reservationId: string, input: number, output: number): Promise<void> {
  await store.ledger.commit(reservationId, {
    actualMicros: 40,
    usageSource: 'provider',
    tokens: { inputTokens: input, outputTokens: output, cachedInputTokens: 0, reasoningTokens: 0 },
  });
}

const audit = (requests: readonly RecordedRequest[]) =>
  auditBooks({ store, tenant: TENANT, reservationIds: ids, requests, scopes: SCOPES });

describe('the kill -9 audit', () => {
  it('passes balanced books: committed with the provider tokens, or expired and charged', async () => {
    const a = request('a', 7);
    await commit(await hold('a'), promptTokensOf(a.body), 7);
    await hold('b');
    await store.ledger.expireDue(Date.now() + 3_600_000);
    const { violations, summary } = await audit([a, request('b', 9)]);
    expect(violations).toEqual([]);
    expect(summary).toMatchObject({ committed: 1, expiredCharged: 1, upstreamAnswered: 2, chargedMicros: 540 });
  });

  it('names a live hold, other tokens, an unheld call, a call held twice and a counter off by one', async () => {
    const a = request('a', 7);
    await commit(await hold('a'), promptTokensOf(a.body), 8);
    await hold('live');
    await commit(await hold('twice', 'rsv_twice_1'), 1, 1);
    await commit(await hold('twice', 'rsv_twice_2'), 1, 1);
    const raw = new Database(path);
    raw.prepare("UPDATE scopes SET committed_micros = committed_micros + 1 WHERE scope_type = 'team'").run();
    raw.close();
    const { violations } = await audit([a, request('unheld', 3), request('twice', 1, 'client_closed')]);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/rsv_live still forwarded/),
        expect.stringMatching(/call a: the upstream billed \d+ in \/ 7 out/),
        expect.stringMatching(/call unheld reached the upstream \(completed\) without a hold/),
        expect.stringMatching(/call twice holds two reservations/),
        expect.stringMatching(/rsv_twice_\d committed but the upstream did not answer/),
        expect.stringMatching(/scope team\|.* counts \d+ committed, its reservations charged \d+/),
        expect.stringMatching(/scope run\|.* still reserves 500/),
      ]),
    );
  });
});
