import { describe, expect, it } from 'vitest';
import { chatNewestStep, messagesNewestStep, responsesNewestStep } from './newest-step.js';

const chatTurn = (callId: string, result: string, args = '{"city":"Paris"}') => [
  {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: callId, type: 'function', function: { name: 'weather', arguments: args } }],
  },
  { role: 'tool', tool_call_id: callId, content: result },
];
const chatStart = [
  { role: 'system', content: 'You are an agent.' },
  { role: 'user', content: 'Weather in Paris?' },
];

describe('chat: the last assistant turn and what follows it', () => {
  it('has no step before the first assistant turn', () => {
    expect(chatNewestStep(chatStart)).toBeNull();
    expect(chatNewestStep('not messages')).toBeNull();
  });

  it('hashes the same action with the same result alike, whatever the call ids and the history before', () => {
    const first = chatNewestStep([...chatStart, ...chatTurn('call_1', 'Sunny')]);
    const again = chatNewestStep([...chatStart, ...chatTurn('call_1', 'Sunny'), ...chatTurn('call_2', 'Sunny')]);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(again).toBe(first);
  });

  it('tells a different result, different arguments or a message after the results apart', () => {
    const base = chatNewestStep([...chatStart, ...chatTurn('call_1', 'Sunny')]);
    expect(chatNewestStep([...chatStart, ...chatTurn('call_1', 'Rain')])).not.toBe(base);
    expect(chatNewestStep([...chatStart, ...chatTurn('call_1', 'Sunny', '{"city":"Rome"}')])).not.toBe(base);
    expect(
      chatNewestStep([...chatStart, ...chatTurn('call_1', 'Sunny'), { role: 'user', content: 'Try again.' }]),
    ).not.toBe(base);
    expect(chatNewestStep([...chatStart, { role: 'assistant', content: 'Sunny.' }])).not.toBe(base);
  });
});

describe('responses: the newest input items', () => {
  const call = (n: number, output = 'Sunny') => [
    { type: 'reasoning', id: `rs_${n}`, summary: [], encrypted_content: `opaque-${n}` },
    {
      type: 'function_call',
      id: `fc_${n}`,
      call_id: `call_${n}`,
      name: 'weather',
      arguments: '{}',
      status: 'completed',
    },
    { type: 'function_call_output', id: `fco_${n}`, call_id: `call_${n}`, output },
  ];
  const user = { role: 'user', content: 'Weather in Paris?' };

  it('has no step on a first turn (a string, or only the caller’s own items)', () => {
    expect(responsesNewestStep('Weather?', false)).toBeNull();
    expect(responsesNewestStep([user], false)).toBeNull();
  });

  it('from the last block of model output on, without ids, call ids or reasoning', () => {
    const first = responsesNewestStep([user, ...call(1)], false);
    expect(first).not.toBeNull();
    expect(responsesNewestStep([user, ...call(1), ...call(2)], false)).toBe(first);
    expect(responsesNewestStep([user, ...call(1), ...call(2, 'Rain')], false)).not.toBe(first);
  });

  it('continuing a previous response: all of the input is new', () => {
    const output = (n: number) => [{ type: 'function_call_output', call_id: `call_${n}`, output: 'Sunny' }];
    expect(responsesNewestStep(output(1), true)).toBe(responsesNewestStep(output(2), true));
    expect(responsesNewestStep('continue', true)).toBe(responsesNewestStep('continue', true));
    expect(responsesNewestStep([], true)).toBeNull();
  });
});

describe('messages (Anthropic): the last assistant turn and the tool results after it', () => {
  const turn = (id: string, result: string) => [
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: `thoughts ${id}`, signature: `sig-${id}` },
        { type: 'tool_use', id, name: 'read_file', input: { path: 'a.txt' } },
      ],
    },
    {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: id, content: result, cache_control: { type: 'ephemeral' } }],
    },
  ];
  const start = [{ role: 'user', content: 'Read a.txt' }];

  it('ignores tool_use ids, thinking blocks and cache markers', () => {
    const first = messagesNewestStep([...start, ...turn('toolu_1', 'hello')]);
    expect(first).not.toBeNull();
    expect(messagesNewestStep([...start, ...turn('toolu_1', 'hello'), ...turn('toolu_2', 'hello')])).toBe(first);
    expect(messagesNewestStep([...start, ...turn('toolu_2', 'bye')])).not.toBe(first);
    expect(messagesNewestStep(start)).toBeNull();
  });
});
