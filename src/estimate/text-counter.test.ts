import { describe, expect, it } from 'vitest';
import type { ModelPrice } from '../pricing/types.js';
import { createTextCounter, jsonOf, REMEMBERED_JSON_CHARS } from './text-counter.js';
import type { Tokenizer } from './types.js';

describe('text counter JSON', () => {
  it('serialises a large object once for both passes of an estimate, a small one each time', () => {
    const large = { name: 'edit_file', parameters: { description: 'x'.repeat(REMEMBERED_JSON_CHARS) } };
    const small = { type: 'auto' };
    const first = jsonOf(large);
    expect(first).toBe(JSON.stringify(large));
    expect(jsonOf(large)).toBe(first);
    expect(jsonOf(small)).toBe('{"type":"auto"}');
    expect(jsonOf(null)).toBe('null');
    expect(jsonOf(undefined)).toBeUndefined();
  });

  it('counts the JSON the tokenizer is handed, the same on every pass', () => {
    const seen: string[] = [];
    const tokenizer: Tokenizer = { count: (text) => (seen.push(text), text.length) };
    const price = { encoding: 'o200k_base', estimateFactor: 1 } as unknown as ModelPrice;
    const tool = {
      name: 'read',
      parameters: { type: 'object', properties: { path: { type: 'string' } } },
      pad: 'p'.repeat(300),
    };
    const counter = createTextCounter(price, tokenizer);
    const once = counter.json(tool);
    expect(counter.json(tool)).toBe(once);
    expect(createTextCounter(price, tokenizer).json(tool)).toBe(once);
    expect(seen).toEqual([JSON.stringify(tool), JSON.stringify(tool), JSON.stringify(tool)]);
  });
});
