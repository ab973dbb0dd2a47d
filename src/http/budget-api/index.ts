// The budget API's HTTP binding (docs/design.md §8), its only door: the /budget/* body limit and
// GET /budget/decisions/{id} here; runs, events, spend and reservations in their own files beside it.
// A principal sees its own; the admin token sees all. The work is pipeline/budget-api/'s;
// handlers throw RuncapError and app.onError renders every refusal.
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { RuncapError } from '../../errors.js';
import type { PipelineDeps } from '../../pipeline/deps.js';
import { visibleDecision } from '../../pipeline/budget-api/index.js';
import { authenticateCaller } from '../../auth.js';
import { H } from '../../headers.js';
import { registerEventRoutes } from './events.js';
import { registerReservationRoutes } from './reservations.js';
import { registerRunRoutes } from './runs.js';
import { registerSpendRoutes } from './spend.js';

/** Budget API request bodies are small JSON documents. */
export const BUDGET_MAX_BODY_BYTES = 64 * 1024;

export function registerBudgetApiRoutes(app: Hono<{ Bindings: HttpBindings }>, deps: PipelineDeps): void {
  app.use(
    '/budget/*',
    bodyLimit({
      maxSize: BUDGET_MAX_BODY_BYTES,
      onError: () => {
        throw new RuncapError(
          'request_too_large',
          `Budget API request bodies are limited to ${BUDGET_MAX_BODY_BYTES} bytes.`,
        );
      },
    }),
  );

  app.get('/budget/decisions/:id', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    return c.json(await visibleDecision(deps, caller, c.req.param('id')));
  });

  registerRunRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerSpendRoutes(app, deps);
  registerReservationRoutes(app, deps);
}
