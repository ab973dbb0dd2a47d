import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCount } from './encoders.js';
import { createTokenCountPool, type TokenCountPool } from './worker-pool.js';

// Worker threads run compiled JavaScript: `npm test` builds dist/ first.
const WORKER_URL = new URL('../../dist/estimate/token-count-worker.js', import.meta.url);
const built = existsSync(fileURLToPath(WORKER_URL));

function prose(chars: number): string {
  const words = ['budget', 'run', 'step', 'the', 'tool', 'result', 'of', 'context', 'model'];
  let text = '';
  for (let i = 0; text.length < chars; i++) text += (words[(i * 5) % words.length] ?? '') + (i % 11 === 0 ? '. ' : ' ');
  return text;
}

describe('createTokenCountPool', () => {
  it('returns null when the worker script is missing (running from sources)', () => {
    expect(createTokenCountPool({ workerUrl: new URL('./no-such-worker.js', import.meta.url) })).toBeNull();
  });

  describe.skipIf(!built)('with the built worker', () => {
    let pool: TokenCountPool | null = null;
    afterAll(async () => {
      await pool?.close();
    });

    it('counts exactly what the event loop would, on several workers at once', async () => {
      pool = createTokenCountPool({ workerUrl: WORKER_URL, size: 2 });
      expect(pool?.size).toBe(2);
      await pool?.warm(['o200k_base', 'cl100k_base']);
      const texts = [prose(20_000), prose(50_000), 'short', '', 'a <|endoftext|> b', '\ufeff\ufeffusing'];
      const counts = await Promise.all([
        pool?.count(texts, 'o200k_base'),
        pool?.count(texts.slice(0, 2), 'cl100k_base'),
        pool?.count(texts.slice(2), 'cl100k_base'),
      ]);
      expect(counts).toEqual([
        texts.map((text) => encodeCount(text, 'o200k_base')),
        texts.slice(0, 2).map((text) => encodeCount(text, 'cl100k_base')),
        texts.slice(2).map((text) => encodeCount(text, 'cl100k_base')),
      ]);
    });

    it('starts its threads on the first count, not when it is created (idle RSS)', async () => {
      const local = createTokenCountPool({ workerUrl: WORKER_URL, size: 1 });
      try {
        expect(local?.started).toBe(false);
        expect(local?.size).toBe(1);
        expect(await local?.count(['hello world'], 'o200k_base')).toEqual([encodeCount('hello world', 'o200k_base')]);
        expect(local?.started).toBe(true);
        expect(local?.size).toBe(1);
      } finally {
        await local?.close();
      }
    });

    it('rejects counts once closed', async () => {
      const local = createTokenCountPool({ workerUrl: WORKER_URL, size: 1 });
      await local?.close();
      await expect(local?.count(['hello'], 'o200k_base')).rejects.toThrow(/closed/);
    });
  });
});
