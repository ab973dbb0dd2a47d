// Process test (issue 11 item 4): what one bearer token can make runcap's counting cost. Runs
// the built CLI (worker threads need dist/; npm run build first) against a fake upstream.
// Each attack body is sent whole but for its last bytes; those bytes and then a GET /healthz
// (on a connection opened before) follow, so runcap starts the attack's counting before it can
// see the health check. Asserted on order, never on time: the health check must be answered
// before the attack, which holds only if the attack's counting leaves the event loop free.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { spawnRuncap, type SpawnedRuncap } from './support/spawn-runcap.js';

let fake: FakeUpstream;
let dir: string;

beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'runcap-stalls-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly body: string;
}

function readAnswer(
  url: string,
  options: { method: string; agent?: Agent; headers?: Record<string, string> },
  send: (req: ReturnType<typeof request>) => void,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    send(req);
  });
}

const write = (req: ReturnType<typeof request>, chunk: Buffer): Promise<void> =>
  new Promise((resolve, reject) => req.write(chunk, (error) => (error ? reject(error) : resolve())));

/**
 * Sends `body` as a chat call, all but its last bytes first; once runcap has answered a health
 * check after those (so it has read them), sends the rest and then one more health check.
 * Returns the answers in the order they completed.
 */
async function attackWithHealthCheck(
  runcap: SpawnedRuncap,
  body: Buffer,
): Promise<{ order: string[]; attack: Answer; health: Answer }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const health = (): Promise<Answer> =>
    readAnswer(`${runcap.url}/healthz`, { method: 'GET', agent }, (req) => req.end());
  const order: string[] = [];
  try {
    expect((await health()).status).toBe(200); // opens the health-check connection
    let attackReq: ReturnType<typeof request> | undefined;
    const attack = readAnswer(
      `${runcap.url}/v1/chat/completions`,
      {
        method: 'POST',
        headers: {
          authorization: 'Bearer sk-stall-test',
          'content-type': 'application/json',
          'content-length': String(body.byteLength),
        },
      },
      (req) => (attackReq = req),
    ).then((answer) => {
      order.push('attack');
      return answer;
    });
    if (attackReq === undefined) throw new Error('request not started');
    const req = attackReq;
    await write(req, body.subarray(0, body.byteLength - 2));
    expect((await health()).status).toBe(200);
    await write(req, body.subarray(body.byteLength - 2));
    req.end();
    const checked = health().then((answer) => {
      order.push('healthz');
      return answer;
    });
    const [attackAnswer, healthAnswer] = await Promise.all([attack, checked]);
    return { order, attack: attackAnswer, health: healthAnswer };
  } finally {
    agent.destroy();
  }
}

/** Deterministic distinct prose, `chars` long, different for every seed. */
function prose(chars: number, seed: number): string {
  const words = ['budget', 'agent', 'tool', 'result', 'context', 'model', 'the', 'of', 'file', 'value', 'step'];
  let text = `message ${seed}:`;
  for (let i = 0; text.length < chars; i++) text += ` ${words[(i * 7 + seed) % words.length] ?? ''}${(i * seed) % 97}`;
  return text.slice(0, chars);
}

const chatBody = (messages: readonly { role: string; content: string }[]): Buffer =>
  Buffer.from(JSON.stringify({ model: 'gpt-4.1', messages, max_tokens: 16 }));

const problemCode = (answer: Answer): unknown => (JSON.parse(answer.body) as { code?: unknown }).code;

describe('counting cannot stall runcap', () => {
  it('counts 1,900 never-seen 4,000-character messages off the event loop: /healthz is answered first', async () => {
    const runcap = await spawnRuncap({
      dir,
      name: 'medium',
      config: { upstreams: { openai: { base_url: `${fake.url}/v1` } } },
    });
    try {
      const messages = Array.from({ length: 1900 }, (_, index) => ({ role: 'user', content: prose(4000, index + 1) }));
      const { order, attack, health } = await attackWithHealthCheck(runcap, chatBody(messages));
      expect(health.status).toBe(200);
      // ~1.9M tokens: more than gpt-4.1's context window, refused once counted.
      expect(attack.status).toBe(400);
      expect(order).toEqual(['healthz', 'attack']);
    } finally {
      runcap.child.kill('SIGKILL');
      await runcap.exited;
    }
  });

  it('refuses 230K tiny messages with 413 request_too_large (server.max_counted_texts) before counting them', async () => {
    const runcap = await spawnRuncap({
      dir,
      name: 'tiny',
      config: { upstreams: { openai: { base_url: `${fake.url}/v1` } } },
    });
    try {
      const messages = Array.from({ length: 230_000 }, (_, index) => ({ role: 'user', content: String(index) }));
      const { order, attack } = await attackWithHealthCheck(runcap, chatBody(messages));
      expect(attack.status).toBe(413);
      expect(problemCode(attack)).toBe('request_too_large');
      expect(order).toHaveLength(2);
    } finally {
      runcap.child.kill('SIGKILL');
      await runcap.exited;
    }
  });

  it('with the bound lifted, counts 230K tiny messages (the LRU cache stays O(1)) and /healthz is answered first', async () => {
    const runcap = await spawnRuncap({
      dir,
      name: 'tiny-unbounded',
      config: { upstreams: { openai: { base_url: `${fake.url}/v1` } }, server: { max_counted_texts: 1_000_000 } },
    });
    try {
      const messages = Array.from({ length: 230_000 }, (_, index) => ({ role: 'user', content: String(index) }));
      const { order, attack } = await attackWithHealthCheck(runcap, chatBody(messages));
      // ~1.4M tokens: more than gpt-4.1's context window, refused once counted.
      expect(attack.status).toBe(400);
      expect(order).toEqual(['healthz', 'attack']);
    } finally {
      runcap.child.kill('SIGKILL');
      await runcap.exited;
    }
  });
});
