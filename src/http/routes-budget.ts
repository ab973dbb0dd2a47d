// The budget plane (SPEC §8): decision records here; runs, spend and reservations in
// their own route files. A principal sees its own; the admin token sees all. Handlers
// throw RuncapError; app.onError renders every refusal.
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { RuncapError } from '../errors.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { canSee, notFound } from '../pipeline/plane-access.js';
import { planeLedger } from '../pipeline/plane-ledger.js';
import { authenticateCaller } from './auth.js';
import { H } from './headers.js';
import { registerReservationRoutes } from './routes-reservations.js';
import { registerRunRoutes } from './routes-runs.js';
import { registerSpendRoutes } from './routes-spend.js';

/** Budget-plane bodies are small JSON documents. */
export const BUDGET_MAX_BODY_BYTES = 64 * 1024;

export function registerBudgetRoutes(app: Hono<{ Bindings: HttpBindings }>, deps: PipelineDeps): void {
  app.use(
    '/budget/*',
    bodyLimit({
      maxSize: BUDGET_MAX_BODY_BYTES,
      onError: () => {
        throw new RuncapError(
          'request_too_large',
          `Budget-plane request bodies are limited to ${BUDGET_MAX_BODY_BYTES} bytes.`,
        );
      },
    }),
  );

  app.get('/budget/decisions/:id', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization));
    const id = c.req.param('id');
    const decision = await planeLedger(deps, 'get_decision', () => deps.store.decisions.get(id));
    if (!decision || !canSee(caller, decision.tenant, decision.keyId)) throw notFound('decision', id);
    return c.json(decision.record);
  });

  registerRunRoutes(app, deps);
  registerSpendRoutes(app, deps);
  registerReservationRoutes(app, deps);
}
