// Process test: SIGTERM while 20 streams are in flight. runcap stops accepting, lets every
// stream finish and settle, closes the ledger and exits 0; the SQLite file then holds no live
// reservation and exactly the calls' costs. Runs the built CLI (npm run build first).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/ledger/index.js';
import { costMicros } from '../src/pricing/cost.js';
import { loadPriceCatalog } from '../src/pricing/load.js';
import { lookupModel } from '../src/pricing/lookup.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { spawnRuncap } from './support/spawn-runcap.js';

const STREAMS = 20;
const KEY = 'sk-shutdown-test';
let fake: FakeUpstream;
let dir: string;

beforeAll(async () => {
  fake = await startFakeUpstream({ slowChunkDelayMs: 150 });
  dir = mkdtempSync(join(tmpdir(), 'runcap-shutdown-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

interface StreamUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
}

/** The usage chunk of an SSE chat stream (the client asked for it). */
function usageOf(body: string): StreamUsage {
  for (const event of body.split('\n\n')) {
    const data = event.replace(/^data: /, '');
    if (!data.startsWith('{')) continue;
    const chunk = JSON.parse(data) as { usage?: StreamUsage | null };
    if (chunk.usage) return chunk.usage;
  }
  throw new Error('no usage chunk in the stream');
}

describe('graceful shutdown', () => {
  it('drains 20 in-flight streams on SIGTERM, settles every hold, closes the ledger and exits 0', async () => {
    const dbPath = join(dir, 'shutdown.sqlite');
    const runcap = await spawnRuncap({
      dir,
      config: {
        upstreams: { openai: { base_url: `${fake.url}/v1` } },
        ledger: { sqlite: dbPath },
        server: { drain_timeout: '30s' },
      },
    });
    const responses = await Promise.all(
      Array.from({ length: STREAMS }, (_, i) =>
        fetch(`${runcap.url}/v1/chat/completions`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${KEY}`,
            'x-run-id': 'shutdown-run',
            'content-type': 'application/json',
            'x-fake-mode': 'slow',
          },
          body: JSON.stringify({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: `stream ${i}` }],
            max_tokens: 50,
            stream: true,
            stream_options: { include_usage: true },
          }),
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: STREAMS }, () => 200));
    expect(fake.inFlight()).toBe(STREAMS);

    runcap.child.kill('SIGTERM');
    await runcap.waitForLog((line) => line.msg === 'shutting down: draining in-flight calls');
    // New calls are refused while the old ones finish (the listener is closed).
    const late = await fetch(`${runcap.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'late' }], max_tokens: 5 }),
    }).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);

    const bodies = await Promise.all(responses.map((r) => r.text()));
    for (const body of bodies) expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const exit = await runcap.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(runcap.logs.some((line) => line.msg === 'runcap stopped')).toBe(true);
    expect(runcap.stderr()).toBe('');

    // Every call's cost, from the usage the provider reported in its stream.
    const table = loadPriceCatalog(join(process.cwd(), 'prices')).latest;
    const found = lookupModel(table, 'gpt-4o-mini');
    if (!found.found) throw new Error('gpt-4o-mini is not priced');
    const expectedMicros = bodies.map(usageOf).reduce(
      (sum, u) =>
        sum +
        costMicros(found.price, {
          inputTokens: u.prompt_tokens,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
          cacheWrite1hTokens: 0,
          outputTokens: u.completion_tokens,
          reasoningTokens: 0,
        }),
      0,
    );
    expect(expectedMicros).toBeGreaterThan(0);

    const raw = new Database(dbPath, { readonly: true });
    try {
      const states = raw
        .prepare<[], { state: string; n: number }>('SELECT state, count(*) AS n FROM reservations GROUP BY state')
        .all();
      expect(states).toEqual([{ state: 'committed', n: STREAMS }]);
      const sources = raw.prepare<[], { usage_source: string }>('SELECT DISTINCT usage_source FROM reservations').all();
      expect(sources).toEqual([{ usage_source: 'provider' }]);
    } finally {
      raw.close();
    }
    const store = openSqliteStore({ path: dbPath });
    try {
      const run = await store.runs.get('default', 'shutdown-run');
      expect(run).not.toBeNull();
      const [view] = await store.ledger.view('default', [
        { type: 'run', id: 'shutdown-run', window: 'none', limitMicros: run?.limitMicros ?? 0, mode: 'hard_gate' },
      ]);
      expect(view).toMatchObject({ committedMicros: expectedMicros, reservedMicros: 0 });
      const spend = await store.spend.spend({
        tenant: 'default',
        keyId: null,
        groupBy: 'run',
        fromMs: 0,
        toMs: Date.now() + 1000,
      });
      expect(spend).toEqual([
        expect.objectContaining({ group: 'shutdown-run', costMicros: expectedMicros, calls: STREAMS }),
      ]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
