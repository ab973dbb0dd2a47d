import { describe, expect, it } from 'vitest';
import { oneAtATime } from './one-at-a-time.js';

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe('oneAtATime', () => {
  it('starts a step only once the one queued before it settled, in order', async () => {
    const queued = oneAtATime();
    const log: string[] = [];
    const step = (name: string, turns: number) => async () => {
      log.push(`${name} starts`);
      for (let i = 0; i < turns; i += 1) await tick();
      log.push(`${name} ends`);
    };
    await Promise.all([queued(step('refresh', 3)), queued(step('more', 0)), queued(step('refresh again', 1))]);
    expect(log).toEqual([
      'refresh starts',
      'refresh ends',
      'more starts',
      'more ends',
      'refresh again starts',
      'refresh again ends',
    ]);
  });

  it('goes on after a step that throws, and the caller of that step sees its error', async () => {
    const queued = oneAtATime();
    const failed = queued(async () => {
      await tick();
      throw new Error('listing failed');
    });
    let ran = false;
    const next = queued(async () => {
      ran = true;
    });
    await expect(failed).rejects.toThrow('listing failed');
    await next;
    expect(ran).toBe(true);
  });
});
