// The pipeline's one-walk estimate (the tokenizer's prefetchEstimate handing its estimate to planFor)
// against the two-walk one it replaces (prefetch, then planFor estimating again): the same plans, to the
// micro-USD, whether the never-seen texts are counted on the event loop or go to the workers, the
// same 413 when a bound is crossed, and the same plans for downgrade alternatives (other models,
// other encodings, an estimate factor), which planFor still estimates itself.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { TenantPolicy } from '../config/types.js';
import { RuncapError } from '../errors.js';
import { encodeCount } from '../estimate/encoders.js';
import { createTokenizer, type CachingTokenizer } from '../estimate/tokenizer.js';
import type { CountBounds, Tokenizer } from '../estimate/types.js';
import type { Encoding, ModelPrice } from '../pricing/types.js';
import { chatAdapter } from '../proxy/adapters/index.js';
import type { ParsedRequest } from '../proxy/adapter.js';
import { planFor, type CallPlan, type PlanContext } from './plan.js';

const tenant = loadConfig({ argv: [], env: {}, cwd: mkdtempSync(join(tmpdir(), 'runcap-plan-')) }).tenants.get(
  'default',
) as TenantPolicy;

const basePrice: ModelPrice = {
  model: 'gpt-4o',
  provider: 'openai',
  aliases: [],
  encoding: 'o200k_base',
  estimateFactor: 1,
  input: 2_500_000_000n,
  cachedInput: 1_250_000_000n,
  cacheWrite: 0n,
  cacheWrite1h: 0n,
  output: 10_000_000_000n,
  reasoning: 10_000_000_000n,
  contextWindow: 128_000,
  maxOutputTokens: 16_384,
  capabilities: { tools: true, jsonSchema: true, vision: true },
  downgradeTo: ['gpt-4o-mini', 'gpt-3.5-turbo', 'claude-ish'],
  longContext: null,
};
const alternatives: readonly ModelPrice[] = [
  { ...basePrice, model: 'gpt-4o-mini', input: 150_000_000n, output: 600_000_000n, downgradeTo: [] },
  { ...basePrice, model: 'gpt-3.5-turbo', encoding: 'cl100k_base', contextWindow: 16_385, downgradeTo: [] },
  { ...basePrice, model: 'claude-ish', estimateFactor: 1.2, contextWindow: 200_000, downgradeTo: [] },
];

function prose(chars: number, seed: number): string {
  const words = ['agent', 'tool', 'call', 'the', 'result', 'of', 'function', 'error', 'file', 'value', 'return'];
  let text = `${seed}: `;
  for (let i = seed; text.length < chars; i++)
    text += (words[(i * 7) % words.length] ?? '') + (i % 13 === 0 ? '.\n' : ' ');
  return text;
}

/** An agent step's body: a system prompt, a task, then an assistant turn and a tool result per earlier step. */
function agentBody(steps: number, newChars: number, emptyTurns = false): { bytes: number; request: ParsedRequest } {
  const seed = 1;
  const messages: { role: string; content: string; name?: string }[] = [
    { role: 'system', content: prose(1_200, seed) },
    { role: 'user', content: prose(400, seed + 1), name: 'dev' },
  ];
  for (let step = 1; step < steps; step++) {
    messages.push({ role: 'assistant', content: emptyTurns ? '' : prose(300, seed * 1000 + step) });
    messages.push({ role: 'tool', content: prose(newChars, seed * 2000 + step) });
  }
  const body = { model: 'gpt-4o', messages, max_completion_tokens: 1024 };
  return { bytes: Buffer.byteLength(JSON.stringify(body)), request: chatAdapter.parse(body) };
}

/** An offload that counts in-thread (after a tick) and records the texts it was handed. */
function recordingOffload(): {
  handed: string[];
  offload: (texts: readonly string[], encoding: Encoding) => Promise<number[]>;
} {
  const handed: string[] = [];
  return {
    handed,
    offload: async (texts, encoding) => {
      handed.push(...texts);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return texts.map((text) => encodeCount(text, encoding));
    },
  };
}

const context = (request: ParsedRequest, tokenizer: Tokenizer): PlanContext => ({
  adapter: chatAdapter,
  request,
  tenant,
  tokenizer,
  chain: null,
  conversation: null,
});

interface Path {
  readonly plan: CallPlan;
  readonly alternatives: readonly CallPlan[];
  /** The merged path only: whether the probe's estimate was handed to the plan. */
  readonly handedOver: boolean;
}

type Run = (tokenizer: CachingTokenizer, request: ParsedRequest, bytes: number, bounds?: CountBounds) => Promise<Path>;

const twoWalks: Run = async (tokenizer, request, bytes, bounds) => {
  await tokenizer.prefetch((probe) => chatAdapter.estimateInput(request, basePrice, probe), {
    maxTotalChars: bytes,
    ...(bounds ? { bounds } : {}),
  });
  const planContext = context(request, tokenizer);
  return {
    plan: planFor(planContext, basePrice),
    alternatives: alternatives.map((price) => planFor(planContext, price)),
    handedOver: false,
  };
};

const oneWalk: Run = async (tokenizer, request, bytes, bounds) => {
  const prefetched = await tokenizer.prefetchEstimate((probe) => chatAdapter.estimateInput(request, basePrice, probe), {
    maxTotalChars: bytes,
    ...(bounds ? { bounds } : {}),
  });
  const planContext = context(request, tokenizer);
  return {
    plan: planFor(planContext, basePrice, prefetched?.estimate),
    alternatives: alternatives.map((price) => planFor(planContext, price)),
    handedOver: prefetched !== undefined,
  };
};

/** Runs the same sequence of agent steps through both paths, each with its own tokenizer. */
async function compare(
  steps: readonly { steps: number; newChars: number }[],
  offloadMinChars: number,
  emptyTurns = false,
): Promise<{ merged: Path[]; handed: string[]; handedTwoWalks: string[] }> {
  const one = recordingOffload();
  const two = recordingOffload();
  const mergedTokenizer = createTokenizer({ offload: one.offload, offloadMinChars });
  const twoWalkTokenizer = createTokenizer({ offload: two.offload, offloadMinChars });
  const merged: Path[] = [];
  for (const step of steps) {
    const { request, bytes } = agentBody(step.steps, step.newChars, emptyTurns);
    const expected = await twoWalks(twoWalkTokenizer, request, bytes);
    const actual = await oneWalk(mergedTokenizer, request, bytes);
    expect(actual.plan).toStrictEqual(expected.plan);
    expect(actual.alternatives).toStrictEqual(expected.alternatives);
    // Not just equal to each other: equal to an estimate with no cache and no prefetch at all.
    expect(actual.plan).toStrictEqual(planFor(context(request, createTokenizer()), basePrice));
    merged.push(actual);
  }
  return { merged, handed: one.handed, handedTwoWalks: two.handed };
}

describe('one walk (prefetchEstimate -> planFor) against two (prefetch, planFor)', () => {
  it('an agent loop with small never-seen steps: the same plans, the estimate handed over, nothing to the workers', async () => {
    const steps = Array.from({ length: 12 }, (_, index) => ({ steps: index + 1, newChars: 900 }));
    const { merged, handed, handedTwoWalks } = await compare(steps, 4_000);
    // Steps 1-2 have bodies below the threshold (no probe); from step 3 on, each step's new text is counted by the probe.
    expect(merged.map((path) => path.handedOver)).toEqual([false, false, ...Array<boolean>(10).fill(true)]);
    expect(handed).toEqual([]);
    expect(handedTwoWalks).toEqual([]);
  });

  it('assistant turns with empty content (too short to cache): still one walk', async () => {
    const steps = Array.from({ length: 8 }, (_, index) => ({ steps: index + 1, newChars: 900 }));
    const { merged, handed } = await compare(steps, 4_000, true);
    expect(merged.map((path) => path.handedOver)).toEqual([false, false, false, ...Array<boolean>(5).fill(true)]);
    expect(handed).toEqual([]);
  });

  it('a step whose never-seen texts go to the workers: the same plans, estimated again by the plan', async () => {
    const { merged, handed, handedTwoWalks } = await compare(
      [
        { steps: 3, newChars: 900 },
        { steps: 8, newChars: 900 }, // five steps' new text at once: over the threshold
        { steps: 9, newChars: 900 },
      ],
      4_000,
    );
    expect(merged.map((path) => path.handedOver)).toEqual([false, false, true]);
    expect(handed.length).toBeGreaterThan(0);
    expect([...handed].sort()).toEqual([...handedTwoWalks].sort());
  });

  it('a first visit of a large history: all of it to the workers on both paths', async () => {
    const { merged, handed, handedTwoWalks } = await compare([{ steps: 20, newChars: 900 }], 4_000);
    expect(merged[0]?.handedOver).toBe(false);
    expect([...handed].sort()).toEqual([...handedTwoWalks].sort());
    expect(handed.length).toBeGreaterThan(30);
  });

  it('no offload at all (no worker pool): the probe is skipped within the bounds, and the plan estimates', async () => {
    const { request, bytes } = agentBody(10, 900);
    const tokenizer = createTokenizer();
    const prefetched = await tokenizer.prefetchEstimate(
      (probe) => chatAdapter.estimateInput(request, basePrice, probe),
      {
        maxTotalChars: bytes,
        bounds: { maxTexts: 100_000, maxChars: 8 * 1024 * 1024 },
      },
    );
    expect(prefetched).toBeUndefined();
    expect(planFor(context(request, tokenizer), basePrice)).toStrictEqual(
      (await twoWalks(createTokenizer(), request, bytes)).plan,
    );
  });

  it.each([
    ['characters', { maxTexts: 100_000, maxChars: 5_000 }, /more than 5000 characters.*server\.max_counted_chars/],
    ['texts', { maxTexts: 12, maxChars: 8 * 1024 * 1024 }, /more than 12 texts.*server\.max_counted_texts/],
  ])('a request over the %s bound: the same 413 on both paths, before any counting', async (_name, bounds, message) => {
    const { request, bytes } = agentBody(10, 900);
    const refusals: RuncapError[] = [];
    for (const run of [twoWalks, oneWalk]) {
      const { handed, offload } = recordingOffload();
      const tokenizer = createTokenizer({ offload, offloadMinChars: 1_000 });
      const error = await run(tokenizer, request, bytes, bounds).then(
        () => null,
        (caught: unknown) => caught,
      );
      if (!(error instanceof RuncapError)) throw new Error(`expected a RuncapError, got ${String(error)}`);
      refusals.push(error);
      expect(handed).toEqual([]);
      expect(tokenizer.stats()).toMatchObject({ hits: 0, misses: 0, cachedChars: 0 });
    }
    const [two, one] = refusals;
    expect(one?.code).toBe('request_too_large');
    expect(one?.status).toBe(413);
    expect(one?.message).toMatch(message);
    expect(one?.message).toBe(two?.message);
  });

  it('a warm history that crosses the character bound at its newest text: the same 413, its new texts not counted', async () => {
    const { request: previous, bytes: previousBytes } = agentBody(9, 900);
    const { request, bytes } = agentBody(10, 900);
    let chars = 0;
    chatAdapter.estimateInput(request, basePrice, { count: (text) => ((chars += text.length), 0) });
    const bounds = { maxTexts: 100_000, maxChars: chars - 10 };
    const messages: string[] = [];
    for (const run of [twoWalks, oneWalk]) {
      const { offload } = recordingOffload();
      const tokenizer = createTokenizer({ offload, offloadMinChars: 4_000 });
      await run(tokenizer, previous, previousBytes);
      const before = tokenizer.stats();
      const error = await run(tokenizer, request, bytes, bounds).then(
        () => null,
        (caught: unknown) => caught,
      );
      if (!(error instanceof RuncapError)) throw new Error(`expected a RuncapError, got ${String(error)}`);
      messages.push(error.message);
      expect(tokenizer.stats().misses).toBe(before.misses);
      expect(tokenizer.stats().cachedChars).toBe(before.cachedChars);
    }
    expect(messages[1]).toBe(messages[0]);
  });

  it('a cached request within the bounds hands over its estimate; the same request over them is refused', async () => {
    const { request, bytes } = agentBody(6, 900);
    const { offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1_000 });
    await tokenizer.prefetch((probe) => chatAdapter.estimateInput(request, basePrice, probe));
    const within = await tokenizer.prefetchEstimate((probe) => chatAdapter.estimateInput(request, basePrice, probe), {
      maxTotalChars: bytes,
      bounds: { maxTexts: 100_000, maxChars: bytes },
    });
    expect(within?.estimate).toStrictEqual(chatAdapter.estimateInput(request, basePrice, createTokenizer()));
    await expect(
      tokenizer.prefetchEstimate((probe) => chatAdapter.estimateInput(request, basePrice, probe), {
        maxTotalChars: bytes,
        bounds: { maxTexts: 100_000, maxChars: 1_000 },
      }),
    ).rejects.toMatchObject({ code: 'request_too_large' });
  });
});
