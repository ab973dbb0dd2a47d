// GET /budget/events (docs/api.md "Events"): the live feed as Server-Sent Events (WHATWG HTML
// §9.2, text/event-stream). HTTP only: pipeline/budget-api/events.ts decides what a caller may
// follow, pipeline/events.ts holds the feed. The stream is pulled: an event is written only when
// the socket took the previous ones, so a slow reader backs up its own bounded queue, nothing else.
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import { authenticateCaller } from '../../auth.js';
import { H } from '../../headers.js';
import { subscribeEvents } from '../../pipeline/budget-api/index.js';
import type { PipelineDeps } from '../../pipeline/deps.js';
import type { FeedItem, Subscription } from '../../pipeline/events.js';

/** How long a client waits before it reconnects (the SSE `retry` field). */
const RECONNECT_MS = 2_000;

export function registerEventRoutes(app: Hono<{ Bindings: HttpBindings }>, deps: PipelineDeps): void {
  app.get('/budget/events', (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    const subscription = subscribeEvents(deps, caller, {
      tenant: c.req.query('tenant'),
      key_id: c.req.query('key_id'),
      run_id: c.req.query('run_id'),
      lastEventId: c.req.header(H.lastEventId) ?? c.req.query('last_event_id'),
    });
    return new Response(eventStream(subscription, deps.config.events.heartbeatMs), {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        // Reverse proxies (nginx) must not buffer the stream.
        'x-accel-buffering': 'no',
      },
    });
  });
}

function eventStream(subscription: Subscription, heartbeatMs: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let opened = false;
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!opened) {
          opened = true;
          controller.enqueue(encoder.encode(`retry: ${RECONNECT_MS}\n: runcap budget events\n\n`));
          return;
        }
        const items = await subscription.next(heartbeatMs);
        if (cancelled) return;
        if (items === null) {
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(items.length === 0 ? ': keep-alive\n\n' : items.map(frame).join('')));
      },
      cancel() {
        cancelled = true;
        subscription.close();
      },
    },
    // Nothing is read ahead of the socket: a chunk is asked for when the previous one was written.
    { highWaterMark: 0 },
  );
}

function frame(item: FeedItem): string {
  if (item.kind === 'dropped')
    return `event: dropped\ndata: ${JSON.stringify({ reason: item.reason, count: item.count })}\n\n`;
  return `id: ${item.event.id}\nevent: ${item.event.type}\ndata: ${item.text}\n\n`;
}
