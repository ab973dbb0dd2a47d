// Issue 11 item 2, over real sockets with the openai SDK: input the provider adds from its own
// side (a Responses `conversation`, a stored `prompt` template, `item_reference` items, files by
// id, by URL or inline) is billed by what it holds, never by the few bytes of its reference. The
// fake upstream bills it that way; runcap must bound it (the context window when it cannot know,
// what it learned for a conversation it has seen billed) so the bill never passes the hold.
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProviderSide } from './support/fake-provider-side.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

let fake: FakeUpstream;
let runcap: TestRuncap;
const side = createProviderSide();
// What the request's own input is billed (below what runcap counts for it: the fake is no tokenizer).
const OWN_PROMPT_TOKENS = 5;

beforeAll(async () => {
  fake = await startFakeUpstream({ promptTokens: OWN_PROMPT_TOKENS, outputTokens: 20, provider: side });
  runcap = await startRuncap({ upstreamUrl: fake.url });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
afterEach(() => fake.clearRequests());

const agent = (runId: string, budgetUsd: string): OpenAI =>
  new OpenAI({
    baseURL: runcap.baseURL,
    apiKey: 'sk-provider-input',
    maxRetries: 0,
    defaultHeaders: { 'X-Run-Id': runId, 'X-Run-Budget-USD': budgetUsd },
  });
const decisionId = (response: Response): string => response.headers.get('x-budget-decision-id') ?? '';
const settled = (id: string) =>
  waitFor(
    () => decisionOf(runcap, id),
    (record) => record.state !== 'pending',
  );
const micros = (usd: unknown): number => Math.round(Number(usd) * 1e6);

/** A call that must be refused before it reaches the provider, leaving the run's money untouched. */
async function expectRefusedUntouched(runId: string, limitMicros: number, call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  // Money first: on old main these calls went through and the run ended below zero.
  expect(await runView(runcap, runId)).toMatchObject({
    committedMicros: 0,
    reservedMicros: 0,
    availableMicros: limitMicros,
  });
  expect(fake.requests).toHaveLength(0);
  expect(error).toBeInstanceOf(OpenAI.APIError);
  expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
  const message = (error as Error).message;
  expect(message).toContain('whole context window');
  return message;
}

describe('a Responses conversation', () => {
  it('holds a conversation runcap has never seen billed at the context window ($1.80 bill on a $1 run)', async () => {
    side.conversations.set('conv_0123', 900_000);
    const message = await expectRefusedUntouched(
      'run-conv-unknown',
      1_000_000,
      agent('run-conv-unknown', '1.00').responses.create({
        model: 'gpt-4.1',
        conversation: 'conv_0123',
        input: 'hi',
        max_output_tokens: 100,
      }),
    );
    expect(message).toContain('a conversation runcap has not seen billed');
    // gpt-4.1: (1,047,576 - 100) input x $2 + 100 output x $8 per 1M.
    expect(message).toContain('$2.095752');
  });

  it('learns what a conversation holds from each billed turn, and holds the next turn at least at that', async () => {
    side.conversations.set('conv_small', 3_000);
    const client = agent('run-conv-known', '5.00');
    const turns: Record<string, unknown>[] = [];
    for (const input of ['first', 'second', 'third']) {
      const { response } = await client.responses
        .create({ model: 'gpt-4o-mini', conversation: { id: 'conv_small' }, input, max_output_tokens: 64 })
        .withResponse();
      turns.push(await settled(decisionId(response)));
    }
    // No turn was billed more than its hold.
    for (const turn of turns) expect(micros(turn.overrun_usd)).toBe(0);
    const [first, second, third] = turns as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    // Turn 1: unknown, held at gpt-4o-mini's 128,000-token window less the 64-token cap.
    expect(first).toMatchObject({
      input_tokens: 128_000 - 64,
      provider_input: { sources: ['conversation'], bound: 'context_window' },
    });
    // Turn 2 knows what turn 1 billed: 3,000 + 5 input, 20 output.
    expect(second.conversation).toEqual({ id: 'conv_small', known_tokens: 3_025 });
    expect(second.provider_input).toBeUndefined();
    expect(Number(second.input_tokens)).toBeGreaterThan(3_025);
    expect((second.usage as Record<string, number>).input_tokens).toBe(3_030);
    expect(third.conversation).toEqual({ id: 'conv_small', known_tokens: 3_050 });
    const run = await runView(runcap, 'run-conv-known');
    const committed = turns.reduce((sum, turn) => sum + micros(turn.actual_usd), 0);
    expect(run).toMatchObject({
      committedMicros: committed,
      reservedMicros: 0,
      availableMicros: 5_000_000 - committed,
    });
  });
});

describe('input the provider inserts by reference', () => {
  it('holds a stored prompt template at the context window', async () => {
    side.prompts.set('pmpt_big', 50_000);
    await expectRefusedUntouched(
      'run-prompt',
      50_000,
      agent('run-prompt', '0.05').responses.create({
        model: 'gpt-4.1',
        prompt: { id: 'pmpt_big', variables: { city: 'Paris' } },
        input: 'go',
        max_output_tokens: 100,
      }),
    );
  });

  it('holds item references at the context window', async () => {
    side.items.set('msg_big', 60_000);
    await expectRefusedUntouched(
      'run-item-ref',
      50_000,
      agent('run-item-ref', '0.05').responses.create({
        model: 'gpt-4.1',
        input: [
          { type: 'item_reference', id: 'msg_big' },
          { role: 'user', content: 'summarise that' },
        ],
        max_output_tokens: 100,
      }),
    );
  });

  it('holds a chat file sent by file_id at the context window', async () => {
    side.files.set('file-big', 40_000);
    await expectRefusedUntouched(
      'run-chat-file',
      50_000,
      agent('run-chat-file', '0.05').chat.completions.create({
        model: 'gpt-4.1',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'file', file: { file_id: 'file-big' } },
              { type: 'text', text: 'summarise' },
            ],
          },
        ],
        max_completion_tokens: 100,
      }),
    );
  });

  it('holds a Responses file sent by file_url at the context window', async () => {
    side.files.set('https://files.example/report.pdf', 45_000);
    await expectRefusedUntouched(
      'run-file-url',
      50_000,
      agent('run-file-url', '0.05').responses.create({
        model: 'gpt-4.1',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_file', file_url: 'https://files.example/report.pdf' },
              { type: 'input_text', text: 'summarise' },
            ],
          },
        ],
        max_output_tokens: 100,
      }),
    );
  });

  it('holds an inline PDF whose pages runcap cannot see at the context window', async () => {
    // A tiny PDF whose page tree sits in a compressed object stream: 30,000 tokens once rendered.
    const pdf = Buffer.from(
      '%PDF-1.7\n1 0 obj << /Type /ObjStm /N 40 /Filter /FlateDecode >> stream\nx\x9c...',
    ).toString('base64');
    side.files.set('scan.pdf', 30_000);
    await expectRefusedUntouched(
      'run-inline-pdf',
      50_000,
      agent('run-inline-pdf', '0.05').chat.completions.create({
        model: 'gpt-4.1',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'file', file: { filename: 'scan.pdf', file_data: `data:application/pdf;base64,${pdf}` } },
            ],
          },
        ],
        max_completion_tokens: 100,
      }),
    );
  });

  it('admits such a call when the run can afford the bound, and commits what the provider billed', async () => {
    side.files.set('file-mid', 12_000);
    const { response } = await agent('run-file-fits', '5.00')
      .chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-mid' } }] }],
        max_completion_tokens: 64,
      })
      .withResponse();
    const record = await settled(decisionId(response));
    expect(record).toMatchObject({
      input_tokens: 128_000 - 64,
      provider_input: { sources: ['file'], bound: 'context_window', context_window_tokens: 128_000 },
      usage: { input_tokens: 12_005, output_tokens: 20 },
    });
    // Billed: 12,005 in x $0.15 + 20 out x $0.60 per 1M = 1800.75 + 12 -> 1813 micros.
    expect(micros(record.actual_usd)).toBe(1_813);
    expect(micros(record.estimate_usd)).toBeGreaterThanOrEqual(1_813);
    expect(await runView(runcap, 'run-file-fits')).toMatchObject({
      committedMicros: 1_813,
      reservedMicros: 0,
      availableMicros: 5_000_000 - 1_813,
    });
  });
});
