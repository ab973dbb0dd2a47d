// The Messages adapter: what it checks, what it needs from a model, how it rewrites the body.
import { describe, expect, it } from 'vitest';
import { RuncapError } from '../../errors.js';
import { messagesAdapter } from './messages.js';

const base = { model: 'claude-sonnet-4-5', max_tokens: 8000, messages: [{ role: 'user', content: 'Hi' }] };

describe('messagesAdapter', () => {
  it('parses the cap, the stream flag and the needs', () => {
    const parsed = messagesAdapter.parse({
      ...base,
      stream: true,
      tools: [{ name: 't', input_schema: {} }],
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'x',
              content: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }],
            },
          ],
        },
      ],
    });
    expect(parsed).toMatchObject({
      endpoint: 'messages',
      stream: true,
      clientMaxOutputTokens: 8000,
      needs: { tools: true, jsonSchema: false, vision: true },
      hostedTools: null,
    });
  });

  it('refuses what it cannot meter, naming the field', () => {
    const bad = (body: unknown, param: string) => {
      try {
        messagesAdapter.parse(body);
        throw new Error('accepted');
      } catch (error) {
        expect(error).toBeInstanceOf(RuncapError);
        expect((error as RuncapError).extra.param).toBe(param);
      }
    };
    bad({ ...base, messages: [] }, 'messages');
    bad({ ...base, messages: [{ role: 'user', content: 3 }] }, 'messages[0].content');
    bad({ ...base, system: 3 }, 'system');
    bad({ ...base, max_tokens: 1.5 }, 'max_tokens');
  });

  it('forwards the client bytes when nothing changes, and writes a lower cap with the thinking budget under it', () => {
    const request = messagesAdapter.parse({ ...base, thinking: { type: 'enabled', budget_tokens: 6000 } });
    expect(messagesAdapter.prepareUpstream(request, { maxOutputTokens: 8000 })).toBeNull();
    expect(messagesAdapter.prepareUpstream(request, { maxOutputTokens: 3000 })).toMatchObject({
      max_tokens: 3000,
      thinking: { type: 'enabled', budget_tokens: 2999 },
    });
    // Never below the API's minimum budget: a cap that small is the provider's to refuse.
    expect(messagesAdapter.prepareUpstream(request, { maxOutputTokens: 500 })).toMatchObject({
      max_tokens: 500,
      thinking: { budget_tokens: 1024 },
    });
    expect(messagesAdapter.prepareUpstream(request, { model: 'claude-haiku-4-5' })).toMatchObject({
      model: 'claude-haiku-4-5',
      thinking: { budget_tokens: 6000 },
    });
  });

  it('bounds server tools by the sum of their max_uses', () => {
    const tools = [
      { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
      { type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 2 },
      { name: 'custom', input_schema: {} },
    ];
    expect(messagesAdapter.parse({ ...base, tools }).hostedTools).toMatchObject({
      maxCalls: 5,
      capField: null,
      tools: [
        { feeKey: 'web_search', callItem: 'web_search_requests', param: 'tools[0]' },
        { feeKey: 'web_fetch', callItem: 'web_fetch_requests', param: 'tools[1]' },
      ],
    });
    expect(
      messagesAdapter.parse({ ...base, tools: [{ type: 'web_search_20250305', name: 'w' }] }).hostedTools,
    ).toMatchObject({ maxCalls: null, limitParam: 'max_uses' });
  });

  it('reads usage and server tool calls from a message', () => {
    const message = {
      usage: { input_tokens: 5, output_tokens: 7, server_tool_use: { web_search_requests: 2 } },
    };
    expect(messagesAdapter.usageFromJson(message)).toMatchObject({ inputTokens: 5, outputTokens: 7 });
    expect(messagesAdapter.hostedCallsFromJson?.(message)).toEqual({ web_search_requests: 2 });
  });
});
