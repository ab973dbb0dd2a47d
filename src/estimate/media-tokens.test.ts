import { describe, expect, it } from 'vitest';
import type { ModelPrice } from '../pricing/types.js';
import {
  MAX_TILES,
  audioTokens,
  base64Bytes,
  imageRuleFor,
  imageTokens,
  inlineFileTokens,
  pdfPages,
} from './media-tokens.js';

function price(model: string, aliases: string[] = []): ModelPrice {
  return {
    model,
    provider: 'openai',
    aliases,
    encoding: 'o200k_base',
    estimateFactor: 1,
    input: 1n,
    cachedInput: 1n,
    cacheWrite: 1n,
    cacheWrite1h: 1n,
    output: 1n,
    reasoning: 1n,
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    capabilities: { tools: true, jsonSchema: true, vision: true },
    downgradeTo: [],
    longContext: null,
  };
}

/** OpenAI's high-detail resize: fit in 2048x2048, shorter side down to 768, count 512px tiles. */
function tilesFor(width: number, height: number): number {
  const fit = Math.min(1, 2048 / Math.max(width, height));
  const [w1, h1] = [width * fit, height * fit];
  const shrink = Math.min(1, 768 / Math.min(w1, h1));
  return Math.ceil((w1 * shrink) / 512) * Math.ceil((h1 * shrink) / 512);
}

describe('image tokens', () => {
  it('reproduces the documented examples of the tile rule', () => {
    expect(tilesFor(1024, 1024)).toBe(4); // 765 tokens
    expect(tilesFor(2048, 4096)).toBe(6); // 1105 tokens
  });

  it('8 tiles is the true maximum over all sizes and aspect ratios', () => {
    let most = 0;
    for (let width = 16; width <= 8192; width += 16) {
      for (let height = 16; height <= width; height += 16) most = Math.max(most, tilesFor(width, height));
    }
    expect(most).toBe(MAX_TILES);
    expect(tilesFor(2048, 768)).toBe(8);
  });

  it.each([
    ['gpt-4o', 'high', 1445],
    ['gpt-4o', 'low', 85],
    ['gpt-4o-2024-08-06', undefined, 1445],
    ['gpt-4o-mini', 'auto', 2833 + 8 * 5667],
    ['gpt-4o-mini', 'low', 2833],
    ['gpt-4.1', 'high', 1445],
    ['gpt-4.1-mini', 'low', 2489],
    ['gpt-4.1-nano', 'high', 3779],
    ['o1', 'high', 75 + 8 * 150],
    ['o3', 'low', 75],
    ['o4-mini', 'high', 2642],
    ['gpt-5', 'high', 70 + 8 * 140],
    ['gpt-5-mini', 'high', 2489],
    ['openai/gpt-4o', 'high', 1445],
    ['some-unknown-model', 'low', 3779],
  ])('%s detail=%s -> %i', (model, detail, expected) => {
    expect(imageTokens(price(model), detail)).toBe(expected);
  });

  it('matches aliases when the canonical name is unfamiliar', () => {
    expect(imageRuleFor(price('my-vision-deployment', ['gpt-4o-2024-11-20']))).toEqual({
      kind: 'tile',
      baseTokens: 85,
      tileTokens: 170,
    });
  });
});

describe('audio tokens', () => {
  const seconds = (bytes: number, format: string): number =>
    audioTokens(Buffer.alloc(bytes).toString('base64'), format);

  it('bounds duration by the lowest byte rate of the format, at 10 tokens a second', () => {
    expect(seconds(8000 * 30, 'wav')).toBe(300);
    expect(seconds(1000 * 30, 'mp3')).toBe(300);
    expect(seconds(16000, 'pcm16')).toBe(10);
    expect(seconds(1, 'mp3')).toBe(1);
  });
});

describe('inline files', () => {
  const pdf = (body: string): string =>
    `data:application/pdf;base64,${Buffer.from(`%PDF-1.7\n${body}`, 'latin1').toString('base64')}`;

  it('decoded size of base64 and data URLs', () => {
    expect(base64Bytes(Buffer.from('hello world').toString('base64'))).toBe(11);
    expect(base64Bytes(`data:text/plain;base64,${Buffer.from('hi').toString('base64')}`)).toBe(2);
    expect(base64Bytes('')).toBe(0);
  });

  it('finds PDF pages by page objects or the page-tree count', () => {
    expect(pdfPages(pdf('1 0 obj << /Type /Page >> 2 0 obj <</Type/Page>> 3 0 obj << /Type /Pages /Count 2 >>'))).toBe(
      2,
    );
    expect(pdfPages(pdf('<< /Type /Pages /Kids [] /Count 12 >>'))).toBe(12);
    expect(pdfPages(pdf('<< /Count 99999999999999999999 >>'))).toBe(0);
    expect(pdfPages(Buffer.from('not a pdf').toString('base64'))).toBe(0);
  });

  it('charges a PDF per page and anything else per 3 bytes', () => {
    const twoPages = pdf('<< /Type /Page >> << /Type /Page >>');
    expect(inlineFileTokens(twoPages, price('gpt-4o'))).toBe(2 * (1445 + 1500));
    expect(inlineFileTokens(Buffer.from('x'.repeat(300)).toString('base64'), price('gpt-4o'))).toBe(100);
    expect(inlineFileTokens(pdf('compressed'), price('gpt-4o'))).toBe(Math.ceil(19 / 3));
  });
});
