// E2E: a reserve whose answer is lost (the write landed, the reply did not: a Redis
// command timeout) must not leave a hold that is charged at expiry for a call that was
// never sent. The store here does the real reserve, then fails as a timeout would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/ledger/index.js';
import type { Store } from '../src/ledger/index.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

let fake: FakeUpstream;
let runcap: TestRuncap;
let dir: string;
let real: Store;
let lost: string[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'runcap-lost-'));
  real = openSqliteStore({ path: join(dir, 'ledger.sqlite') });
  const store: Store = {
    ...real,
    ledger: {
      ...real.ledger,
      reserve: async (request) => {
        await real.ledger.reserve(request);
        lost.push(request.reservationId);
        throw new Error('Command timed out');
      },
    },
  };
  runcap = await startRuncap({ upstreamUrl: fake.url, store });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a reserve whose answer was lost', () => {
  it('fails closed, forwards nothing, and releases the hold that landed', async () => {
    const response = await fetch(`${runcap.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-lost', 'content-type': 'application/json', 'x-run-id': 'run-lost' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100 }),
    });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { code: string }).code).toBe('ledger_unavailable');
    expect(fake.requests).toHaveLength(0);
    expect(lost).toHaveLength(1);
    const id = lost[0] ?? '';
    const released = await waitFor(
      () => real.ledger.getReservation(id),
      (reservation) => reservation?.state === 'released',
    );
    expect(released?.actualMicros).toBeNull();
    const view = await runView(runcap, 'run-lost');
    expect(view).toMatchObject({ committedMicros: 0, reservedMicros: 0 });
    // Long past its expiry, nothing is charged.
    expect(await real.ledger.expireDue(Date.now() + 3_600_000)).toEqual([]);
  });
});
