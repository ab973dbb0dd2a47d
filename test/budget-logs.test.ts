// E2E: structured logs. One pino JSON line per budget decision with its id; never a raw
// key (caller's, virtual, provider's or admin) nor prompt text, on any path.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const PASSTHROUGH_KEY = 'sk-live-PASSTHROUGH-key-3141592653';
const VIRTUAL_KEY = 'rk-VIRTUAL-key-2718281828';
const PROVIDER_KEY = 'sk-provider-secret';
const ADMIN = 'admin-token-SECRET-0123456789';
const PROMPT = 'PROMPT-TEXT-do-not-log-me-1618';

let fake: FakeUpstream;
let runcap: TestRuncap;
const lines: string[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
  let pending = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line !== ''));
      callback();
    },
  });
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    logger: pino({ level: 'debug', base: { service: 'runcap' } }, sink),
    config: {
      admin_token: ADMIN,
      passthrough: true,
      tenants: { default: { run: { default_limit_usd: '1.00' } } },
      keys: [
        { id: 'k_virtual', sha256: createHash('sha256').update(VIRTUAL_KEY).digest('hex'), user: 'u1', team: 't1' },
      ],
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

function parsed(): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('logs', () => {
  it('writes one JSON decision line per budget decision, and no key or prompt anywhere', async () => {
    const ids: string[] = [];
    const content = `${PROMPT} please`;
    const allowed = await chat(runcap.url, PASSTHROUGH_KEY, 'log-run', { content });
    const virtual = await chat(runcap.url, VIRTUAL_KEY, 'log-virtual', { content });
    const blocked = await chat(runcap.url, PASSTHROUGH_KEY, 'log-block', {
      content,
      headers: { 'x-run-budget-usd': '0.000001' },
    });
    const failed = await chat(runcap.url, PASSTHROUGH_KEY, 'log-run', {
      content,
      headers: { 'x-fake-mode': 'error500' },
    });
    const unknown = await chat(runcap.url, PASSTHROUGH_KEY, 'log-run', { content, model: 'gpt-9-ultra' });
    const stream = await fetch(`${runcap.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${PASSTHROUGH_KEY}`,
        'x-run-id': 'log-run',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content }],
        max_tokens: 20,
        stream: true,
      }),
    });
    await stream.text();
    const plane = await api(runcap.url, 'POST', '/budget/reservations', {
      key: PASSTHROUGH_KEY,
      body: { run_id: 'log-run', amount_usd: '0.01' },
    });
    await api(runcap.url, 'POST', `/budget/reservations/${String(plane.body.reservation_id)}/commit`, {
      key: PASSTHROUGH_KEY,
      body: { amount_usd: '0.01' },
    });
    await api(runcap.url, 'GET', '/budget/spend', { key: ADMIN });
    await runcap.server.deps.tasks.drain(5_000);

    expect([
      allowed.status,
      virtual.status,
      blocked.status,
      failed.status,
      unknown.status,
      stream.status,
      plane.status,
    ]).toEqual([200, 200, 402, 500, 403, 200, 201]);
    for (const response of [allowed, virtual, blocked, failed])
      ids.push(response.headers.get('x-budget-decision-id') ?? '');
    ids.push(stream.headers.get('x-budget-decision-id') ?? '', String(plane.body.decision_id));

    const records = parsed();
    expect(records.length).toBeGreaterThan(0);
    const decisions = records.filter((r) => r.msg === 'budget decision');
    for (const id of ids) {
      expect(id).toMatch(/^bdgdec_/);
      const matching = decisions.filter((r) => r.decision_id === id);
      expect(matching, `decision line for ${id}`).toHaveLength(1);
      expect(matching[0]).toMatchObject({ level: 30, service: 'runcap' });
      expect(typeof matching[0]?.time).toBe('number');
    }
    expect(decisions.find((r) => r.decision_id === ids[2])).toMatchObject({
      decision: 'block',
      code: 'run_ceiling_reached',
      run_id: 'log-block',
    });
    expect(decisions.find((r) => r.decision_id === ids[0])).toMatchObject({
      decision: 'allow',
      run_id: 'log-run',
      model: 'gpt-4o-mini',
    });

    const everything = lines.join('\n');
    for (const secret of [PASSTHROUGH_KEY, VIRTUAL_KEY, PROVIDER_KEY, ADMIN, PROMPT])
      expect(everything).not.toContain(secret);
    // Nor a recognisable piece of one (e.g. a truncated or "Bearer ..." rendering).
    expect(everything).not.toMatch(/PASSTHROUGH-key|VIRTUAL-key|provider-secret|SECRET-0123|do-not-log-me|Bearer /);
  });
});
