// Steady load for the kill -9 tests (test/crash-kill-*.test.ts): a config with a virtual key
// of a tenant of its own (run, key and team scopes), a fake upstream whose token counts are
// a function of each request, and client loops that keep calls in flight against whichever
// runcap instances are up. Every call carries a unique Idempotency-Key (its call id), which
// runcap forwards upstream and stores on the hold, so the audit can match both sides.
import { createHash } from 'node:crypto';
import type { Json } from './fake-openai-bodies.js';
import type { FakeUpstreamOptions } from './fake-upstream.js';

export const CRASH_KEY = 'sk-crash-loop-virtual-key-0001';
export const CRASH_KEY_ID = 'k_crash';
export const CRASH_TEAM = 'team-crash';
export const CRASH_RUNS = ['crash-run-0', 'crash-run-1', 'crash-run-2', 'crash-run-3'] as const;
/** The environment variable runcap reads the (fake) provider key from. */
export const UPSTREAM_KEY_ENV = 'CRASH_UPSTREAM_KEY';

/**
 * The runcap config: hold TTL short so orphans expire within the test, swept every second;
 * ceilings far above what the test spends (nothing is ever blocked).
 */
export function crashConfig(options: {
  upstreamUrl: string;
  tenant: string;
  ledger: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    upstreams: {
      openai: {
        base_url: `${options.upstreamUrl}/v1`,
        api_key_env: UPSTREAM_KEY_ENV,
        headers_timeout: '3s',
        response_timeout: '3s',
      },
      // The default anthropic upstream waits 60 s, longer than the 4 s hold TTL allows.
      anthropic: { base_url: options.upstreamUrl, headers_timeout: '3s', response_timeout: '3s' },
    },
    ledger: { reservation_ttl: '4s', sweep_interval: '1s', ...options.ledger },
    tenants: {
      [options.tenant]: {
        run: { default_limit_usd: '1000.00', max_limit_usd: '1000.00' },
        limits: {
          key: { limit_usd: '100000.00', window: 'none' },
          team: { limit_usd: '100000.00', window: 'none' },
        },
      },
    },
    keys: [
      {
        id: CRASH_KEY_ID,
        sha256: createHash('sha256').update(CRASH_KEY).digest('hex'),
        tenant: options.tenant,
        team: CRASH_TEAM,
      },
    ],
  };
}

export const CRASH_ENV: Readonly<Record<string, string>> = { [UPSTREAM_KEY_ENV]: 'sk-fake-provider-key' };

/** What the fake upstream bills as input for a request: a function of its body (recomputed by the audit). */
export function promptTokensOf(body: unknown): number {
  const messages = (body as Json | undefined)?.['messages'];
  const first = Array.isArray(messages) ? (messages[0] as Json | undefined) : undefined;
  const content = typeof first?.['content'] === 'string' ? first['content'] : '';
  return 10 + (content.length % 89);
}

/** What the fake upstream bills as output: the request's max_tokens (its visible output is longer). */
export function outputTokensOf(body: unknown): number {
  const cap = (body as Json | undefined)?.['max_tokens'];
  return typeof cap === 'number' ? cap : 0;
}

/**
 * The fake provider: input tokens a function of the body, output cut at each request's
 * max_tokens, a few ms of latency. (A virtual key's calls carry no x-fake-* headers upstream.)
 */
export const CRASH_UPSTREAM: FakeUpstreamOptions = {
  promptTokens: (body) => promptTokensOf(body),
  outputTokens: 10_000,
  chunks: 4,
  latencyMs: 3,
};

/** The call id a request carried (its Idempotency-Key), or null. */
export function callIdOf(headers: Readonly<Record<string, string | string[] | undefined>>): string | null {
  const value = headers['idempotency-key'];
  return typeof value === 'string' ? value : null;
}

export interface LoadCounts {
  sent: number;
  answered: number;
  /** Calls that failed on the client side (the instance died under them, or was down). */
  failed: number;
  /** Answers other than 200 (status -> count). */
  statuses: Record<number, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `loops` client loops, each sending one call at a time to the next instance that is up
 * (`targets()` returns the base URLs of the live ones), with a pause of up to `pauseMs`
 * between calls (steady load that leaves a loaded machine room to restart runcap), until
 * stop(). Calls mix non-streaming and streaming chat with random output sizes.
 */
export function startLoad(
  targets: () => readonly string[],
  loops: number,
  pauseMs: number,
): { counts: LoadCounts; stop(): Promise<void> } {
  const counts: LoadCounts = { sent: 0, answered: 0, failed: 0, statuses: {} };
  let stopped = false;
  let next = 0;
  const loop = async (index: number): Promise<void> => {
    while (!stopped) {
      const live = targets();
      const url = live[next % Math.max(1, live.length)];
      next += 1;
      if (url === undefined) {
        await sleep(20);
        continue;
      }
      const callId = `call-${index}-${counts.sent}-${Math.random().toString(36).slice(2, 8)}`;
      counts.sent += 1;
      const stream = Math.random() < 0.35;
      const body = JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `${callId} ${'please answer briefly '.repeat(1 + (counts.sent % 7))}` }],
        max_tokens: 1 + Math.floor(Math.random() * 60),
        ...(stream ? { stream: true } : {}),
      });
      try {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${CRASH_KEY}`,
            'content-type': 'application/json',
            'x-run-id': CRASH_RUNS[index % CRASH_RUNS.length] ?? 'crash-run-0',
            'idempotency-key': callId,
          },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        await response.arrayBuffer();
        if (response.status === 200) counts.answered += 1;
        else counts.statuses[response.status] = (counts.statuses[response.status] ?? 0) + 1;
      } catch {
        counts.failed += 1;
      }
      await sleep(Math.floor(Math.random() * pauseMs));
    }
  };
  const running = Array.from({ length: loops }, (_, index) => loop(index));
  return {
    counts,
    stop: async () => {
      stopped = true;
      await Promise.all(running);
    },
  };
}

/** A random pause in [minMs, maxMs). */
export function randomPause(minMs: number, maxMs: number): Promise<void> {
  return sleep(minMs + Math.floor(Math.random() * (maxMs - minMs)));
}
