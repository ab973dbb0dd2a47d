// E2E: Claude Code itself (`claude -p`, pinned in test/clients) -> runcap -> a fake Anthropic
// upstream, over real sockets, offline: ANTHROPIC_BASE_URL at runcap, a passthrough key in
// ANTHROPIC_API_KEY, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 and a HOME of its own. It sends
// `x-claude-code-session-id` on every call, so its session is one run (docs/design.md §2); the
// fake model has it run its Read tool before it answers, so a session is several calls.
// ANTHROPIC_CUSTOM_HEADERS gives the session its own ceiling.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { passthroughKeyId } from '../src/auth.js';
import { formatUsd, parseUsd } from '../src/money/micros.js';
import { clientsOrSkip, runCli, type CliResult } from './support/clients.js';
import { captureDecisions } from './support/decision-log.js';
import type { ToolCall } from './support/fake-openai-bodies.js';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const clients = await clientsOrSkip();
const KEY = 'sk-ant-claude-session';
/** Claude Code 2.1.332's default model with an API key, priced in prices/2026-11-30.json. */
const MODEL = 'claude-opus-5-5';
const NOTE = 'runcap-note-contents';
/** A runcap virtual key: runcap calls Anthropic with its own key (RUNCAP_TEST_ANTHROPIC_KEY in support/runcap.ts). */
const VIRTUAL_KEY = 'rk-claude-virtual-key';

/**
 * Prices in tenths of a micro-USD per token (prices/2026-11-30.json): input, cache reads,
 * 5-minute and 1-hour cache writes, output. claude-opus-5-5: $4, $0.20, $5, $8, $20 per 1M.
 */
const TENTHS = {
  'claude-opus-5-5': { input: 40, read: 2, write5m: 50, write1h: 80, output: 200 },
  'claude-sonnet-5-5': { input: 20, read: 1, write5m: 25, write1h: 40, output: 100 },
} as const;

/** What a request costs at its model's prices, rounded up per call as runcap does. */
function costMicros(request: RecordedRequest | undefined): number {
  const served = request?.served;
  const model = (request?.body as { model?: string } | undefined)?.model ?? '';
  if (!served || !(model in TENTHS)) throw new Error(`no served usage, or no price for "${model}"`);
  const price = TENTHS[model as keyof typeof TENTHS];
  const uncached = served.inputTokens - served.cachedTokens - served.cacheWrite5mTokens - served.cacheWrite1hTokens;
  const tenths =
    uncached * price.input +
    served.cachedTokens * price.read +
    served.cacheWrite5mTokens * price.write5m +
    served.cacheWrite1hTokens * price.write1h +
    served.outputTokens * price.output;
  return Math.ceil(tenths / 10);
}

let fake: FakeUpstream;
let runcap: TestRuncap;
const log = captureDecisions();
const homes: string[] = [];

beforeAll(async () => {
  if (!clients.available) return;
  fake = await startFakeUpstream({ promptTokens: 2_000, outputTokens: 30, toolCall: 'Read' });
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    logger: log.logger,
    config: {
      passthrough: true,
      keys: [{ id: 'k_claude', sha256: createHash('sha256').update(VIRTUAL_KEY).digest('hex'), upstream: 'anthropic' }],
    },
  });
});
afterAll(async () => {
  await runcap?.stop();
  await fake?.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});
afterEach(() => fake?.clearRequests());

/** A HOME for one session, with a note in its work folder that the fake model asks Claude Code to Read. */
function claudeHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'runcap-claude-'));
  homes.push(home);
  mkdirSync(join(home, 'work'));
  writeFileSync(join(home, 'work', 'note.txt'), `${NOTE}\n`);
  fake.configure({ toolArguments: JSON.stringify({ file_path: join(home, 'work', 'note.txt') }) });
  return home;
}

/** The variables the README exports in "Cap a Claude Code session", aimed at this runcap and key. */
function readmeEnv(): Record<string, string> {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('### Cap a Claude Code session'));
  const sh = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (sh === undefined) throw new Error('README.md: no sh block under "Cap a Claude Code session"');
  const env: Record<string, string> = {};
  for (const [, name, quoted, bare] of sh.matchAll(/^export (\w+)=(?:"([^"]*)"|(\S*))/gm)) {
    if (name !== undefined) env[name] = quoted ?? bare ?? '';
  }
  expect(env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:8787');
  return { ...env, ANTHROPIC_BASE_URL: runcap.url, ANTHROPIC_API_KEY: KEY };
}

/** Runs `claude <args>` in `home`'s work folder, offline, with its key and base URL (plus `extra`). */
function claude(home: string, args: readonly string[], extra: Record<string, string> = {}): Promise<CliResult> {
  if (!clients.available) throw new Error('unreachable: the suite is skipped');
  return runCli(clients.bin.claude, args, {
    cwd: join(home, 'work'),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      ANTHROPIC_BASE_URL: runcap.url,
      ANTHROPIC_API_KEY: KEY,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      ...extra,
    },
  });
}

/** The one session id every request of a Claude Code run carried. */
function sessionOf(requests: readonly RecordedRequest[]): string {
  const ids = new Set(requests.map((request) => request.headers['x-claude-code-session-id']));
  expect(ids.size).toBe(1);
  const [id] = ids;
  if (typeof id !== 'string') throw new Error('Claude Code sent no x-claude-code-session-id');
  return id;
}

const why = (result: CliResult): string => `claude exited ${result.code}:\n${result.stderr}\n${result.stdout}`;

describe.skipIf(!clients.available)(
  `Claude Code through runcap${clients.available ? '' : ` (skipped: ${clients.reason})`}`,
  // A CLI starts slowly on a loaded machine; the CLI itself is killed after runCli's two minutes.
  { timeout: 180_000 },
  () => {
    it("makes a claude -p session one run under the README's settings, every call charged exactly", async () => {
      const result = await claude(claudeHome(), ['-p', 'Read note.txt, then say hello.'], readmeEnv());
      expect(result.code, why(result)).toBe(0);
      expect(result.stdout).toContain('Hello from the fake Claude');

      // Two model calls: a Read that Claude Code ran (the file's text comes back), then the answer.
      expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual(
        Array(2).fill('POST /v1/messages?beta=true'),
      );
      const [first, second] = fake.requests;
      expect(first?.body).toMatchObject({ model: MODEL, stream: true });
      // Claude Code asks for 128000 output tokens; runcap held the tenant maximum and wrote it in.
      expect(first?.body).toMatchObject({ max_tokens: 32_768 });
      expect(JSON.stringify(second?.body)).toContain(NOTE);
      expect(first?.headers['x-api-key']).toBe(KEY);

      const session = sessionOf(fake.requests);
      expect(session).toMatch(/^[0-9a-f-]{36}$/);
      expect(await runcap.store.runs.get('default', session)).toMatchObject({
        runId: session,
        keyId: passthroughKeyId(KEY),
        limitMicros: parseUsd('2.00'), // the README's ANTHROPIC_CUSTOM_HEADERS
      });
      const decisions = log.decisions(session);
      expect(decisions.map((entry) => entry.decision)).toEqual(['allow', 'allow']);
      const served = fake.requests.map((request) => costMicros(request));
      // Prompt caching at work: the first call writes the cache, and the reads of the second are priced apart.
      expect(first?.served?.cacheWrite5mTokens).toBeGreaterThan(0);
      for (const [index, entry] of decisions.entries()) {
        const record = await decisionOf(runcap, entry.decision_id);
        expect(record).toMatchObject({ state: 'settled', usage_source: 'provider' });
        expect(parseUsd(String(record.actual_usd))).toBe(served[index]);
      }
      expect(await runView(runcap, session)).toMatchObject({
        committedMicros: served.reduce((sum, micros) => sum + micros, 0),
        reservedMicros: 0,
      });
    });

    it("runs on a runcap virtual key in ANTHROPIC_API_KEY: the session's run is the key's, runcap's key goes on", async () => {
      const result = await claude(claudeHome(), ['-p', 'Read note.txt, then say hello.'], {
        ANTHROPIC_API_KEY: VIRTUAL_KEY,
      });
      expect(result.code, why(result)).toBe(0);
      expect(fake.requests).toHaveLength(2);
      for (const request of fake.requests) {
        expect(request.headers['x-api-key']).toBe('sk-ant-provider-secret');
        // A virtual-key caller's headers are an allow list: the session id stays with runcap.
        expect(request.headers['x-claude-code-session-id']).toBeUndefined();
        expect(request.headers['anthropic-beta']).toContain('claude-code');
      }
      const [decision] = log.decisions().slice(-2);
      const session = decision?.run_id ?? '';
      expect(session).toMatch(/^[0-9a-f-]{36}$/);
      expect(log.decisions(session).map((entry) => entry.decision)).toEqual(['allow', 'allow']);
      expect(await runcap.store.runs.get('default', session)).toMatchObject({ keyId: 'k_claude' });
      expect(await runView(runcap, session)).toMatchObject({
        committedMicros: fake.requests.reduce((sum, request) => sum + costMicros(request), 0),
        reservedMicros: 0,
      });
    });

    it('takes several ANTHROPIC_CUSTOM_HEADERS lines: X-Run-Id wins over the session id, X-Budget-Feature tags', async () => {
      const result = await claude(claudeHome(), ['-p', 'Read note.txt, then say hello.'], {
        ANTHROPIC_CUSTOM_HEADERS: 'X-Run-Id: task-7\nX-Budget-Feature: refactor',
      });
      expect(result.code, why(result)).toBe(0);
      expect(fake.requests).toHaveLength(2);
      const session = sessionOf(fake.requests);
      expect(await runcap.store.runs.get('default', session)).toBeNull();
      for (const request of fake.requests) expect(request.headers['x-run-id']).toBeUndefined(); // runcap's own
      const decisions = log.decisions('task-7');
      expect(decisions.map((entry) => entry.decision)).toEqual(['allow', 'allow']);
      const record = await decisionOf(runcap, decisions[0]?.decision_id ?? '');
      expect(record).toMatchObject({ run_id: 'task-7', feature: 'refactor' });
      expect(await runView(runcap, 'task-7')).toMatchObject({
        committedMicros: fake.requests.reduce((sum, request) => sum + costMicros(request), 0),
      });
    });

    it('continues the run when the session is resumed, on a cheaper model (claude --model ... --resume <id>)', async () => {
      const home = claudeHome();
      const first = await claude(home, ['-p', 'Read note.txt, then say hello.']);
      expect(first.code, why(first)).toBe(0);
      const session = sessionOf(fake.requests);
      const before = await runView(runcap, session);
      fake.clearRequests();

      const resumed = await claude(home, ['-p', '--model', 'claude-sonnet-5-5', '--resume', session, 'Once more.']);
      expect(resumed.code, why(resumed)).toBe(0);
      expect(sessionOf(fake.requests)).toBe(session);
      expect(fake.requests.map((request) => (request.body as { model: string }).model)).toEqual(
        fake.requests.map(() => 'claude-sonnet-5-5'),
      );
      const added = fake.requests.reduce((sum, request) => sum + costMicros(request), 0);
      expect(added).toBeGreaterThan(0);
      expect(await runView(runcap, session)).toMatchObject({
        committedMicros: before.committedMicros + added,
        reservedMicros: 0,
      });
    });

    it('refuses the call past the ceiling ANTHROPIC_CUSTOM_HEADERS set; Claude Code exits showing the reason', async () => {
      // The worst case of a session's first call, learned from an uncapped session.
      const probe = await claude(claudeHome(), ['-p', 'Read note.txt, then say hello.']);
      expect(probe.code, why(probe)).toBe(0);
      const firstHold = parseUsd(log.decisions(sessionOf(fake.requests))[0]?.estimate_usd ?? '');
      const perCall = costMicros(fake.requests[0]);
      fake.clearRequests();

      // Room for the first call and half of what it is served: the second call cannot fit.
      const ceiling = formatUsd(firstHold + Math.floor(perCall / 2));
      const result = await claude(claudeHome(), ['-p', 'Read note.txt, then say hello.'], {
        ANTHROPIC_CUSTOM_HEADERS: `X-Run-Budget-USD: ${ceiling}`,
      });

      expect(result.code, why(result)).toBe(1);
      expect(result.stdout).toContain(`API Error: 402 The run budget is exhausted: this call could cost up to $`);
      expect(result.stdout).toContain(`on ${MODEL}`);
      // The first call reached the provider; the second was refused once (not retried), before it.
      expect(fake.requests).toHaveLength(1);
      const session = sessionOf(fake.requests);
      expect(log.decisions(session).map((entry) => [entry.decision, entry.code])).toEqual([
        ['allow', undefined],
        ['block', 'run_ceiling_reached'],
      ]);
      expect(await runcap.store.runs.get('default', session)).toMatchObject({ limitMicros: parseUsd(ceiling) });
      expect(await runView(runcap, session)).toMatchObject({ committedMicros: perCall, reservedMicros: 0 });
    });

    it('charges the sub-agents a session starts (its Agent tool) to the same run', async () => {
      fake.configure({ toolScript: delegateOnce });
      const decisionsBefore = log.decisions().length;
      try {
        const result = await claude(claudeHome(), ['-p', 'Hand the task to a helper agent, then answer.']);
        expect(result.code, why(result)).toBe(0);
      } finally {
        fake.configure({ toolScript: null });
      }
      // The root calls Agent, the helper answers, the root answers with the helper's result.
      expect(fake.requests).toHaveLength(3);
      const session = sessionOf(fake.requests);
      const firstUser = (request: RecordedRequest | undefined) =>
        JSON.stringify((request?.body as { messages: unknown[] } | undefined)?.messages[0]);
      expect(firstUser(fake.requests[1])).toContain(HELPER_TASK);
      expect(JSON.stringify(fake.requests[2]?.body)).toContain('Hello from the fake Claude');
      const decisions = log.decisions().slice(decisionsBefore);
      expect(decisions.map((entry) => [entry.run_id, entry.decision])).toEqual(Array(3).fill([session, 'allow']));
      expect(await runView(runcap, session)).toMatchObject({
        committedMicros: fake.requests.reduce((sum, request) => sum + costMicros(request), 0),
        reservedMicros: 0,
      });
    });
  },
);

const HELPER_TASK = 'runcap-helper-task: reply with hi';

/** The root agent hands one task to a helper (in the foreground) and answers after it; the helper answers at once. */
function delegateOnce(body: Record<string, unknown>): ToolCall | null {
  const messages = Array.isArray(body['messages']) ? body['messages'] : [];
  if (JSON.stringify(messages[0]).includes(HELPER_TASK)) return null;
  if (JSON.stringify(messages).includes('"tool_result"')) return null;
  const input = {
    description: 'Say hi',
    prompt: HELPER_TASK,
    subagent_type: 'general-purpose',
    run_in_background: false,
  };
  return { kind: 'function', name: 'Agent', arguments: JSON.stringify(input) };
}
