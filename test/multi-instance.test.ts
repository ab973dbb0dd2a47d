// E2E: three runcap processes share one Redis ledger; 300 concurrent calls spread over them
// at one run ceiling admit exactly the number that fit. Needs RUNCAP_TEST_REDIS_URL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisStore } from '../src/ledger/redis/index.js';
import type { Store } from '../src/ledger/index.js';
import { formatUsd, parseUsd } from '../src/money/micros.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { REDIS_SKIP_MESSAGE } from './support/redis-harness.js';
import { spawnRuncap, type SpawnedRuncap } from './support/spawn-runcap.js';

const REDIS_URL = process.env.RUNCAP_TEST_REDIS_URL;
if (!REDIS_URL) console.warn(`multi-instance race: ${REDIS_SKIP_MESSAGE}`);
const suite = REDIS_URL ? describe : describe.skip;

suite('three runcap instances on one Redis', () => {
  let fake: FakeUpstream;
  let dir: string;
  let instances: SpawnedRuncap[] = [];
  let store: Store;

  beforeAll(async () => {
    fake = await startFakeUpstream({ latencyMs: 3_000 });
    dir = mkdtempSync(join(tmpdir(), 'runcap-multi-'));
    const config = { ledger: { redis: REDIS_URL }, upstreams: { openai: { base_url: `${fake.url}/v1` } } };
    instances = await Promise.all([0, 1, 2].map((i) => spawnRuncap({ dir, config, name: `instance-${i}` })));
    store = await openRedisStore({ url: REDIS_URL ?? '' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(
      instances.map(async (instance) => {
        instance.child.kill('SIGTERM');
        await instance.exited;
      }),
    );
    await store.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('admits exactly floor(ceiling / worst case) of 300 calls spread over three processes', async () => {
    const runId = `run-multi-${Date.now()}`;
    const body = JSON.stringify({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Next step, please.' }],
      max_tokens: 2000,
    });
    const call = (instance: SpawnedRuncap, headers: Record<string, string> = {}) =>
      fetch(`${instance.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer sk-multi',
          'content-type': 'application/json',
          'x-run-id': runId,
          ...headers,
        },
        body,
      });

    // The probe creates the run with its ceiling and tells us the hold of this exact body.
    const first = instances[0] as SpawnedRuncap;
    const probe = await call(first, { 'x-fake-latency-ms': '0', 'x-run-budget-usd': '1.00' });
    expect(probe.status).toBe(200);
    const decision = (await (
      await fetch(`${first.url}/budget/decisions/${probe.headers.get('x-budget-decision-id')}`, {
        headers: { authorization: 'Bearer sk-multi' },
      })
    ).json()) as { estimate_usd: string; actual_usd: string | null };
    const holdMicros = parseUsd(decision.estimate_usd);
    const run = await store.runs.get('default', runId);
    const [before] = await store.ledger.view('default', [
      { type: 'run', id: runId, window: 'none', limitMicros: run?.limitMicros ?? 0, mode: 'hard_gate' },
    ]);
    const available = before?.availableMicros ?? 0;
    const expected = Math.floor(available / holdMicros);
    expect(expected).toBeGreaterThan(10);
    expect(expected).toBeLessThan(300);

    const statuses = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        call(instances[i % 3] as SpawnedRuncap).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    const served = statuses.filter((s) => s === 200).length;
    const blocked = statuses.filter((s) => s === 402).length;
    expect({ served, blocked }).toEqual({ served: expected, blocked: 300 - expected });

    const [after] = await store.ledger.view('default', [
      { type: 'run', id: runId, window: 'none', limitMicros: run?.limitMicros ?? 0, mode: 'hard_gate' },
    ]);
    expect(after?.reservedMicros).toBe(0);
    expect(after?.committedMicros ?? Infinity).toBeLessThanOrEqual(parseUsd('1.00'));
    expect(formatUsd(after?.committedMicros ?? 0)).not.toBe('0.00');
  }, 60_000);

  it('lets one of several concurrent same-Idempotency-Key requests through, across instances', async () => {
    const runId = `run-multi-idem-${Date.now()}`;
    const statuses = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        fetch(`${(instances[i % 3] as SpawnedRuncap).url}/v1/chat/completions`, {
          method: 'POST',
          headers: {
            authorization: 'Bearer sk-multi',
            'content-type': 'application/json',
            'x-run-id': runId,
            'idempotency-key': 'step-1',
            'x-fake-latency-ms': '500',
          },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'once' }], max_tokens: 10 }),
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(8);
  }, 30_000);

  it('estimates a previous_response_id chain served by another instance with what that turn was billed', async () => {
    const runId = `run-multi-chain-${Date.now()}`;
    const turn = (instance: SpawnedRuncap, body: Record<string, unknown>) =>
      fetch(`${instance.url}/v1/responses`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer sk-multi',
          'content-type': 'application/json',
          'x-run-id': runId,
          'x-fake-latency-ms': '0',
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', max_output_tokens: 64, ...body }),
      });
    const first = await turn(instances[0] as SpawnedRuncap, { input: 'Turn one' });
    const { id } = (await first.json()) as { id: string };
    const second = await turn(instances[1] as SpawnedRuncap, { input: 'Turn two', previous_response_id: id });
    expect(second.status).toBe(200);
    await second.arrayBuffer();
    const record = (await (
      await fetch(
        `${(instances[2] as SpawnedRuncap).url}/budget/decisions/${second.headers.get('x-budget-decision-id')}`,
        { headers: { authorization: 'Bearer sk-multi' } },
      )
    ).json()) as { chain_input_tokens: unknown };
    // The fake bills 10 input + 20 output tokens for the first turn.
    expect(record.chain_input_tokens).toBe(30);
  }, 30_000);

  it('holds a conversation turn served by another instance at what the earlier turns were billed', async () => {
    const runId = `run-multi-conv-${Date.now()}`;
    const conversation = `conv_multi_${Date.now()}`;
    const turn = (instance: SpawnedRuncap, input: string) =>
      fetch(`${instance.url}/v1/responses`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer sk-multi',
          'content-type': 'application/json',
          'x-run-id': runId,
          'x-run-budget-usd': '5.00',
          'x-fake-latency-ms': '0',
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', max_output_tokens: 64, conversation, input }),
      });
    const record = async (response: Response) => {
      await response.arrayBuffer();
      return (await (
        await fetch(
          `${(instances[2] as SpawnedRuncap).url}/budget/decisions/${response.headers.get('x-budget-decision-id')}`,
          { headers: { authorization: 'Bearer sk-multi' } },
        )
      ).json()) as { conversation: unknown; input_tokens: number; provider_input?: unknown };
    };
    // Unseen on instance 0: held at the window. Seen on instance 1: what turn one billed (10 in + 20 out).
    const first = await record(await turn(instances[0] as SpawnedRuncap, 'Turn one'));
    expect(first.provider_input).toMatchObject({ sources: ['conversation'], bound: 'context_window' });
    const second = await record(await turn(instances[1] as SpawnedRuncap, 'Turn two'));
    expect(second.conversation).toEqual({ id: conversation, known_tokens: 30 });
    expect(second.provider_input).toBeUndefined();
    expect(second.input_tokens).toBeLessThan(1_000);
  }, 30_000);
});
