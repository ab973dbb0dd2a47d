// E2E: the Codex CLI itself (`codex exec`, pinned in test/clients) -> runcap -> a fake OpenAI
// upstream, over real sockets, offline. Codex ignores OPENAI_BASE_URL: a config.toml model
// provider points it at runcap (wire_api "responses", no websockets, the key from env_key). It
// sends `session-id` on every call, so its session is one run (docs/design.md §2); the fake
// model makes it run its `exec` tool (JavaScript, run by Codex itself) before it answers, so a
// session is several calls. The provider's `http_headers` give the session its own ceiling.
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
const KEY = 'sk-codex-session';
/** Codex 0.171.0's default model, priced in prices/2026-11-30.json. */
const MODEL = 'gpt-6.2-sol';
const TOOL_MARK = 'runcap-tool-ran';
/** What the fake provider bills each call: input (of which cached) and output tokens. */
const SERVED = { promptTokens: 3_000, cachedTokens: 1_500, outputTokens: 40 };

/** gpt-6.2-sol per token, in micro-USD: input $2/1M, cached input $0.20/1M, output $10/1M. */
function costMicros(served: RecordedRequest['served']): number {
  if (served === null) throw new Error('the fake served no usage');
  const uncached = served.inputTokens - served.cachedTokens;
  // 0.2 micro-USD per cached token: exact for the multiples of 5 used here.
  return uncached * 2 + served.cachedTokens / 5 + served.outputTokens * 10;
}

let fake: FakeUpstream;
let runcap: TestRuncap;
const log = captureDecisions();
const homes: string[] = [];

beforeAll(async () => {
  if (!clients.available) return;
  fake = await startFakeUpstream({
    ...SERVED,
    toolCall: 'exec',
    toolKind: 'custom',
    toolArguments: `text(${JSON.stringify(TOOL_MARK)})`,
    toolTurns: 2,
  });
  runcap = await startRuncap({ upstreamUrl: fake.url, logger: log.logger });
});
afterAll(async () => {
  await runcap?.stop();
  await fake?.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});
afterEach(() => fake?.clearRequests());

/** A fresh CODEX_HOME whose model provider is runcap; extra headers via http_headers; retries off unless asked. */
function codexHome(headers: Record<string, string> = {}, options: { retries?: boolean } = {}): string {
  const home = mkdtempSync(join(tmpdir(), 'runcap-codex-'));
  homes.push(home);
  const work = join(home, 'work');
  mkdirSync(work);
  const httpHeaders = Object.entries(headers)
    .map(([name, value]) => `${JSON.stringify(name)} = ${JSON.stringify(value)}`)
    .join(', ');
  writeFileSync(
    join(home, 'config.toml'),
    [
      'model_provider = "runcap"',
      '[model_providers.runcap]',
      'name = "runcap"',
      `base_url = "${runcap.baseURL}"`,
      'wire_api = "responses"',
      'env_key = "RUNCAP_CODEX_KEY"',
      'supports_websockets = false',
      // Codex retries a 402 despite x-should-retry: false unless told not to (docs/coding-agents.md).
      ...(options.retries === true ? [] : ['stream_max_retries = 0', 'request_max_retries = 0']),
      `http_headers = { ${httpHeaders} }`,
      '',
    ].join('\n'),
  );
  return home;
}

/** A CODEX_HOME holding the README's config.toml ("Cap a Codex session"), aimed at this runcap. */
function readmeCodexHome(): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('### Cap a Codex session'));
  const toml = /```toml\n([\s\S]*?)```/.exec(section)?.[1];
  if (toml === undefined) throw new Error('README.md: no config.toml under "Cap a Codex session"');
  expect(toml).toContain('base_url = "http://127.0.0.1:8787/v1"');
  const home = codexHome();
  writeFileSync(join(home, 'config.toml'), toml.replace('http://127.0.0.1:8787/v1', runcap.baseURL));
  return home;
}

/** Runs `codex exec <args>` with `home` as its HOME and CODEX_HOME, in its work folder. */
function codex(home: string, args: readonly string[]): Promise<CliResult> {
  if (!clients.available) throw new Error('unreachable: the suite is skipped');
  return runCli(clients.bin.codex, ['exec', '--skip-git-repo-check', ...args], {
    cwd: join(home, 'work'),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      CODEX_HOME: home,
      RUNCAP_CODEX_KEY: KEY,
      OPENAI_API_KEY: KEY, // the README's provider reads it
    },
  });
}

/** `codex exec` in a fresh CODEX_HOME (a new session). */
const codexExec = (prompt: string, headers: Record<string, string> = {}): Promise<CliResult> =>
  codex(codexHome(headers), [prompt]);

/** The one session id every request of a Codex run carried. */
function sessionOf(requests: readonly RecordedRequest[]): string {
  const ids = new Set(requests.map((request) => request.headers['session-id']));
  expect(ids.size).toBe(1);
  const [id] = ids;
  if (typeof id !== 'string') throw new Error('Codex sent no session-id');
  return id;
}

const why = (result: CliResult): string => `codex exited ${result.code}:\n${result.stderr}\n${result.stdout}`;

describe.skipIf(!clients.available)(
  `the Codex CLI through runcap${clients.available ? '' : ` (skipped: ${clients.reason})`}`,
  // A CLI starts slowly on a loaded machine; the CLI itself is killed after runCli's two minutes.
  { timeout: 180_000 },
  () => {
    it("makes a codex exec session one run under the README's config, charged exactly what was served", async () => {
      const result = await codex(readmeCodexHome(), ['Run the exec tool, then say hello.']);
      expect(result.code, why(result)).toBe(0);
      expect(result.stdout).toContain('Hello from the fake upstream');

      // Three model calls: two tool calls that Codex ran (their output comes back), then the answer.
      expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual(
        Array(3).fill('POST /v1/responses'),
      );
      // Codex sends no output cap: the tenant default is written in, so the provider enforces the held one.
      expect(fake.requests[0]?.body).toMatchObject({ model: MODEL, stream: true, max_output_tokens: 4096 });
      const outputs = (fake.requests[2]?.body as { input: { type: string }[] }).input.filter(
        (item) => item.type === 'custom_tool_call_output',
      );
      expect(outputs).toHaveLength(2);
      expect(JSON.stringify(outputs)).toContain(TOOL_MARK);

      const session = sessionOf(fake.requests);
      expect(session).toMatch(/^[0-9a-f-]{36}$/);
      expect(await runcap.store.runs.get('default', session)).toMatchObject({
        runId: session,
        keyId: passthroughKeyId(KEY),
        limitMicros: parseUsd('2.00'), // the README's http_headers
      });
      // Every call allowed, each charged what the provider served for it, to the micro-USD.
      const decisions = log.decisions(session);
      expect(decisions.map((entry) => entry.decision)).toEqual(['allow', 'allow', 'allow']);
      const served = fake.requests.map((request) => costMicros(request.served));
      expect(served).toEqual(Array(3).fill(1_500 * 2 + 300 + 40 * 10));
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

    it('continues the run when the session is resumed (codex exec resume --last)', async () => {
      const home = codexHome();
      const first = await codex(home, ['Run the exec tool, then say hello.']);
      expect(first.code, why(first)).toBe(0);
      const session = sessionOf(fake.requests);
      const before = await runView(runcap, session);
      fake.clearRequests();

      const resumed = await codex(home, ['resume', '--last', 'Once more, please.']);
      expect(resumed.code, why(resumed)).toBe(0);
      expect(sessionOf(fake.requests)).toBe(session);
      // The resumed turn resends the conversation, whose two tool outputs make the fake model answer at once.
      expect(fake.requests).toHaveLength(1);
      expect(JSON.stringify(fake.requests[0]?.body)).toContain(TOOL_MARK);
      const added = fake.requests.reduce((sum, request) => sum + costMicros(request.served), 0);
      expect(added).toBeGreaterThan(0);
      expect(await runView(runcap, session)).toMatchObject({
        committedMicros: before.committedMicros + added,
        reservedMicros: 0,
      });
      expect(log.decisions(session).every((entry) => entry.decision === 'allow')).toBe(true);
    });

    it('refuses the call past the ceiling its http_headers set, and codex exits showing the reason', async () => {
      // The worst case of a session's first call, learned from an uncapped session.
      const probe = await codexExec('Run the exec tool, then say hello.');
      expect(probe.code, why(probe)).toBe(0);
      const firstHold = parseUsd(log.decisions(sessionOf(fake.requests))[0]?.estimate_usd ?? '');
      const perCall = costMicros(fake.requests[0]?.served ?? null);
      fake.clearRequests();

      // Room for the first call and half of what it is served: the second call cannot fit.
      const ceiling = formatUsd(firstHold + perCall / 2);
      const result = await codexExec('Run the exec tool, then say hello.', { 'X-Run-Budget-USD': ceiling });

      expect(result.code, why(result)).toBe(1);
      expect(result.stderr).toContain('402 Payment Required: The run budget is exhausted');
      expect(result.stderr).toContain(`on ${MODEL}`);
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

    it("asks again five times with Codex's default retries, each refused before the provider, spending nothing", async () => {
      const result = await codex(codexHome({ 'X-Run-Budget-USD': '0.000001' }, { retries: true }), ['Say hello.']);
      expect(result.code, why(result)).toBe(1);
      expect(result.stderr).toContain('Reconnecting... 5/5');
      expect(result.stderr).toContain('402 Payment Required: The run budget is exhausted');
      expect(fake.requests).toHaveLength(0);
      const session = log.decisions().at(-1)?.run_id ?? '';
      expect(log.decisions(session).map((entry) => entry.decision)).toEqual(Array(6).fill('block'));
      expect(await runView(runcap, session)).toMatchObject({ committedMicros: 0, reservedMicros: 0 });
    });

    it('charges the sub-agents a session spawns (spawn_agent) to the same run', async () => {
      fake.configure({ toolScript: spawnThenWait });
      const decisionsBefore = log.decisions().length;
      try {
        const result = await codexExec('Spawn a helper, wait for it, then answer.');
        expect(result.code, why(result)).toBe(0);
      } finally {
        fake.configure({ toolScript: null });
      }
      // The root spawns, waits, answers (three calls); the helper, a thread of its own, answers once.
      expect(fake.requests).toHaveLength(4);
      const session = sessionOf(fake.requests);
      const threads = fake.requests.map((request) => request.headers['thread-id']);
      expect(threads.filter((thread) => thread === session)).toHaveLength(3);
      expect(new Set(threads).size).toBe(2);
      // The helper really ran: its final answer reached the root's last call.
      const last = JSON.stringify(fake.requests.at(-1)?.body);
      expect(last).toContain('"author":"/root/helper"');
      expect(last).toContain('FINAL_ANSWER');
      // Every call, the helper's included, on the session's one run, charged what was served.
      const decisions = log.decisions().slice(decisionsBefore);
      expect(decisions.map((entry) => [entry.run_id, entry.decision])).toEqual(Array(4).fill([session, 'allow']));
      expect(await runView(runcap, session)).toMatchObject({
        committedMicros: fake.requests.reduce((sum, request) => sum + costMicros(request.served), 0),
        reservedMicros: 0,
      });
    });
  },
);

const CHILD_TASK = 'runcap-child-task: reply with hi';

/** The root agent spawns a helper, waits for it, then answers; the helper answers at once. */
function spawnThenWait(body: Record<string, unknown>): ToolCall | null {
  const items = Array.isArray(body['input']) ? (body['input'] as Record<string, unknown>[]) : [];
  const isChild = items.some((item) => item['type'] !== 'function_call' && JSON.stringify(item).includes(CHILD_TASK));
  if (isChild) return null;
  const outputs = items.filter((item) => item['type'] === 'function_call_output').length;
  const call = (name: string, args: unknown): ToolCall => ({
    kind: 'function',
    namespace: 'collaboration',
    name,
    arguments: JSON.stringify(args),
  });
  if (outputs === 0) return call('spawn_agent', { task_name: 'helper', message: CHILD_TASK, fork_turns: 'none' });
  if (outputs === 1) return call('wait_agent', { timeout_ms: 30_000 });
  return null;
}
