// The demo's simulated provider, driven directly with the openai SDK: key check, deterministic
// replies, and a stream that carries the same reply and usage as the JSON answer.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCount } from '../estimate/encoders.js';
import { startSimProvider, type SimProvider } from './sim-provider.js';
import { READ_FILE_TOOL } from './sim-workspace.js';

let sim: SimProvider;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimProvider({ apiKey: 'sk-sim', latencyMs: 0, chunkDelayMs: 0 });
  client = new OpenAI({ baseURL: sim.url, apiKey: 'sk-sim', maxRetries: 0 });
});
afterAll(async () => {
  await sim.close();
});

const messages = [
  { role: 'system' as const, content: 'You are a code auditor.' },
  { role: 'user' as const, content: 'Read the ledger.' },
];

describe('simulated provider', () => {
  it('refuses a wrong key like OpenAI does', async () => {
    const wrong = new OpenAI({ baseURL: sim.url, apiKey: 'sk-wrong', maxRetries: 0 });
    const error = await wrong.chat.completions.create({ model: 'gpt-4.1', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error instanceof OpenAI.APIError ? error.code : null).toBe('invalid_api_key');
  });

  it('answers with a tool call when tools are offered, with usage counted by tiktoken', async () => {
    const first = await client.chat.completions.create({ model: 'gpt-4.1', messages, tools: [READ_FILE_TOOL] });
    const again = await client.chat.completions.create({ model: 'gpt-4.1', messages, tools: [READ_FILE_TOOL] });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' ? call.function.name : null).toBe('read_file');
    expect(again.choices[0]?.message).toEqual(first.choices[0]?.message);
    const text = (s: string): number => encodeCount(s, 'o200k_base');
    const toolTokens = text(JSON.stringify(READ_FILE_TOOL.function));
    // 3 to prime the reply, 3 per message plus its role and content.
    const expectedPrompt =
      3 +
      (3 + text('system') + text('You are a code auditor.')) +
      (3 + text('user') + text('Read the ledger.')) +
      toolTokens;
    expect(first.usage?.prompt_tokens).toBe(expectedPrompt);
    expect(first.usage?.total_tokens).toBe(expectedPrompt + (first.usage?.completion_tokens ?? 0));
  });

  it('streams the same reply and usage in the OpenAI chunk format', async () => {
    const json = await client.chat.completions.create({ model: 'gpt-4.1-mini', messages, tools: [READ_FILE_TOOL] });
    const stream = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages,
      tools: [READ_FILE_TOOL],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let args = '';
    let usage: OpenAI.CompletionUsage | null = null;
    let finish: string | null = null;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      content += choice?.delta.content ?? '';
      args += choice?.delta.tool_calls?.[0]?.function?.arguments ?? '';
      finish = choice?.finish_reason ?? finish;
    }
    const call = json.choices[0]?.message.tool_calls?.[0];
    expect(content).toBe(json.choices[0]?.message.content);
    expect(args).toBe(call?.type === 'function' ? call.function.arguments : null);
    expect(finish).toBe('tool_calls');
    expect(usage).toEqual(json.usage);
  });

  it('stops at the output cap with finish_reason length', async () => {
    const reply = await client.chat.completions.create({ model: 'gpt-4.1', messages, max_completion_tokens: 5 });
    expect(reply.choices[0]?.finish_reason).toBe('length');
    expect(reply.usage?.completion_tokens).toBe(5);
  });
});
