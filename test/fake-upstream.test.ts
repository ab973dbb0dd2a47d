import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { FAKE_DEFAULTS, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';

let fake: FakeUpstream;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  client = new OpenAI({ baseURL: `${fake.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.clearRequests();
  fake.configure({ ...FAKE_DEFAULTS });
});

const messages = [{ role: 'user' as const, content: 'Say hello' }];

async function rawPost(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${fake.url}/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('fake upstream through the openai SDK', () => {
  it('answers a non-streaming chat completion with realistic usage', async () => {
    fake.configure({ promptTokens: 42, cachedTokens: 32, outputTokens: 6, reasoningTokens: 4 });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices[0]?.message.content).toBe('Hello from the fake upstream,');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({
      prompt_tokens: 42,
      completion_tokens: 10,
      total_tokens: 52,
      prompt_tokens_details: { cached_tokens: 32 },
      completion_tokens_details: { reasoning_tokens: 4 },
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages },
    });
    expect(fake.requests[0]?.headers['authorization']).toBe('Bearer sk-test');
  });

  it('caps the output at max_completion_tokens and reports finish_reason length', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-5-mini',
      messages,
      max_completion_tokens: 3,
    });
    expect(completion.usage?.completion_tokens).toBe(3);
    expect(completion.choices[0]?.finish_reason).toBe('length');
  });

  it('streams chat chunks and a final usage-only chunk when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const usage: unknown[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage.push({ choices: chunk.choices.length, completion: chunk.usage.completion_tokens });
    }
    expect(text).toBe('Hello from the fake upstream, one token per word. Hello from the fake upstream, one token per');
    expect(usage).toEqual([{ choices: 0, completion: 20 }]);
    expect(fake.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('works with the SDK chat stream helper', async () => {
    const runner = client.chat.completions.stream({ model: 'gpt-4o-mini', messages, n: 2, max_tokens: 4 });
    const final = await runner.finalChatCompletion();
    expect(final.choices.map((c) => c.message.content)).toEqual(['Hello from the fake', 'Hello from the fake']);
  });

  it('answers a Responses API call, JSON and streamed', async () => {
    fake.configure({ outputTokens: 5, promptTokens: 12 });
    const response = await client.responses.create({ model: 'gpt-4.1-mini', input: 'hi', instructions: 'brief' });
    expect(response.output_text).toBe('Hello from the fake upstream');
    expect(response.status).toBe('completed');
    expect(response.usage).toMatchObject({ input_tokens: 12, output_tokens: 5, total_tokens: 17 });

    const stream = client.responses.stream({ model: 'gpt-4.1-mini', input: 'hi' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas.join('')).toBe('Hello from the fake upstream');
    expect(final.output_text).toBe('Hello from the fake upstream');
    expect(final.usage?.output_tokens).toBe(5);
    expect(final.id).toMatch(/^resp_/);
  });

  it("streams a Responses tool call (function or custom) in an agent's tool loop, then answers", async () => {
    fake.configure({ toolCall: 'exec', toolKind: 'custom', toolArguments: 'text("hi")', toolTurns: 1, chunks: 3 });
    const stream = client.responses.stream({ model: 'gpt-4.1-mini', input: 'hi' });
    const deltas: string[] = [];
    stream.on('response.custom_tool_call_input.delta', (event) => deltas.push(event.delta));
    const call = await stream.finalResponse();
    expect(deltas).toHaveLength(3);
    expect(deltas.join('')).toBe('text("hi")');
    expect(call.output).toEqual([
      expect.objectContaining({ type: 'custom_tool_call', name: 'exec', input: 'text("hi")', status: 'completed' }),
    ]);
    const callId = (call.output[0] as { call_id: string }).call_id;
    // With one tool output in its input, the model is done with tools and answers in text.
    const answer = await client.responses.create({
      model: 'gpt-4.1-mini',
      input: [
        { role: 'user', content: 'hi' },
        { type: 'custom_tool_call', call_id: callId, name: 'exec', input: 'text("hi")' },
        { type: 'custom_tool_call_output', call_id: callId, output: 'hi' },
      ],
      stream: true,
    });
    const types: string[] = [];
    for await (const event of answer) types.push(event.type);
    expect(types).toContain('response.output_text.delta');
    expect(types).not.toContain('response.custom_tool_call_input.delta');

    fake.configure({ toolCall: 'lookup', toolKind: 'function', toolArguments: '{"city":"Paris"}', toolTurns: null });
    const fn = client.responses.stream({ model: 'gpt-4.1-mini', input: 'hi' });
    const args: string[] = [];
    fn.on('response.function_call_arguments.delta', (event) => args.push(event.delta));
    const fnCall = await fn.finalResponse();
    expect(args.join('')).toBe('{"city":"Paris"}');
    expect(fnCall.output[0]).toMatchObject({ type: 'function_call', name: 'lookup', arguments: '{"city":"Paris"}' });
    // Each reply's billed usage is on the record.
    expect(fake.requests.map((request) => request.served)).toEqual(
      Array(3).fill({
        inputTokens: 10,
        cachedTokens: 0,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        outputTokens: 20,
      }),
    );
    // A scripted model picks each reply's tool call (a namespaced one here) from the request.
    fake.configure({
      toolScript: (body) =>
        body['input'] === 'plan'
          ? { kind: 'function', namespace: 'collaboration', name: 'spawn_agent', arguments: '{}' }
          : null,
    });
    const scripted = await client.responses.create({ model: 'gpt-4.1-mini', input: 'plan' });
    expect(scripted.output[0]).toMatchObject({
      type: 'function_call',
      namespace: 'collaboration',
      name: 'spawn_agent',
    });
    expect((await client.responses.create({ model: 'gpt-4.1-mini', input: 'answer' })).output_text).toContain('Hello');
  });

  it('ends a Responses stream with response.incomplete in mode incomplete', async () => {
    const stream = await client.responses.create(
      { model: 'gpt-4.1-mini', input: 'hi', stream: true },
      { headers: { 'x-fake-mode': 'incomplete' } },
    );
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(0)).toBe('response.created');
    expect(types.at(-1)).toBe('response.incomplete');
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(5);
  });

  it('answers legacy completions (default max_tokens 16) and embeddings (SDK base64 decoding)', async () => {
    const completion = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say' });
    expect(completion.usage?.completion_tokens).toBe(16);
    expect(completion.choices[0]?.finish_reason).toBe('length');

    const embeddings = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b', 'c'] });
    expect(embeddings.data).toHaveLength(3);
    expect(embeddings.data[0]?.embedding).toHaveLength(8);
    expect(embeddings.data[0]?.embedding[0]).toBeCloseTo(Math.sin(1), 3);
    expect(embeddings.usage.prompt_tokens).toBe(10);
  });

  it('lists models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(FAKE_DEFAULTS.models);
  });
});

describe('fake upstream wire details', () => {
  it('sends no usage chunk, and no usage fields, unless asked', async () => {
    const res = await rawPost('/chat/completions', { model: 'gpt-4o-mini', messages, stream: true });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text).not.toContain('"usage"');
    expect(text.split('\n\n').filter(Boolean)).toHaveLength(1 + 5 + 1 + 1); // role, content, finish, DONE
  });

  it('omits the usage chunk in mode no_usage even when asked', async () => {
    const res = await rawPost(
      '/chat/completions',
      { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } },
      { 'x-fake-mode': 'no_usage' },
    );
    const text = await res.text();
    expect(text).not.toContain('"prompt_tokens"');
    expect(text).toContain('"usage":null');
  });

  it('takes per-request output tokens, prompt tokens and chunk counts from headers', async () => {
    const res = await rawPost(
      '/completions',
      {
        model: 'gpt-3.5-turbo-instruct',
        prompt: 'x',
        max_tokens: 100,
        stream: true,
        stream_options: { include_usage: true },
      },
      { 'x-fake-output-tokens': '7', 'x-fake-prompt-tokens': '3', 'x-fake-chunks': '2' },
    );
    const text = await res.text();
    expect(text).toContain('"usage":{"prompt_tokens":3,"completion_tokens":7');
    expect(text.split('\n\n').filter((e) => e.includes('"text":"') && !e.includes('"text":""'))).toHaveLength(2);
  });

  it('answers error500 and error429 with OpenAI error bodies', async () => {
    await expect(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages }, { headers: { 'x-fake-mode': 'error500' } }),
    ).rejects.toMatchObject({ status: 500, type: 'server_error' });
    fake.configure({ mode: 'error429' });
    await expect(client.chat.completions.create({ model: 'gpt-4o-mini', messages })).rejects.toMatchObject({
      status: 429,
      code: 'rate_limit_exceeded',
    });
  });

  it('resets the connection mid-stream after the configured chunks', async () => {
    fake.configure({ failAfterChunks: 3 });
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages, stream: true },
      { headers: { 'x-fake-mode': 'reset' } },
    );
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toThrow();
    expect(seen.filter(Boolean)).toHaveLength(3);
    expect(await fake.requests[0]?.ended).toBe('reset');
  });

  it('resets a non-streaming call before answering', async () => {
    await expect(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages }, { headers: { 'x-fake-mode': 'reset' } }),
    ).rejects.toThrow(/Connection error/);
  });

  it('stalls after some chunks and sees the client abort', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages, stream: true },
      { headers: { 'x-fake-mode': 'stall' }, signal: controller.signal },
    );
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of stream) {
        seen.push(chunk.choices[0]?.delta.content ?? '');
        if (seen.filter(Boolean).length === 2) setTimeout(() => controller.abort(), 50);
      }
    })();
    await reading; // the SDK ends an aborted stream's iteration quietly
    expect(seen.filter(Boolean)).toHaveLength(2);
    expect(await fake.requests[0]?.ended).toBe('client_closed');
    expect(fake.inFlight()).toBe(0);
  });

  it('delays each chunk in mode slow', async () => {
    fake.configure({ slowChunkDelayMs: 30, chunks: 2, outputTokens: 2 });
    const started = Date.now();
    const res = await rawPost(
      '/chat/completions',
      { model: 'gpt-4o-mini', messages, stream: true },
      { 'x-fake-mode': 'slow' },
    );
    await res.text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * 30 - 5); // role, 2 content, finish, DONE
  });

  it('counts connections and in-flight requests, and answers 404 on unknown paths', async () => {
    const res = await rawPost('/audio/speech', { model: 'tts-1' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { message: 'Invalid URL (POST /v1/audio/speech)', type: 'invalid_request_error', param: null, code: null },
    });
    expect(fake.openConnections()).toBeGreaterThanOrEqual(1);
    expect(fake.inFlight()).toBe(0);
    expect(fake.requests.map((r) => [r.path, r.outcome])).toEqual([['/v1/audio/speech', 'completed']]);
  });

  it('closes with stalled requests still open', async () => {
    const other = await startFakeUpstream({ mode: 'stall' });
    const pending = fetch(`${other.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages, stream: true }),
    }).then(async (res) => res.text());
    await expect.poll(() => other.inFlight()).toBe(1);
    await other.close();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => other.openConnections()).toBe(0);
  });
});
