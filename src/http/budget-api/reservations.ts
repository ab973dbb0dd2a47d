// Reservations on the budget API, for callers that are not OpenAI traffic (docs/design.md §8): POST
// /budget/reservations, GET /budget/reservations/{id}, .../commit, .../release. HTTP only;
// pipeline/budget-api/reserve.ts and settle-reservation.ts do the work.
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import type { PipelineDeps } from '../../pipeline/deps.js';
import {
  requirePrincipal,
  commitSchema,
  parseBody,
  parseJsonText,
  reserveSchema,
  createReservation,
  commitReservation,
  releaseReservation,
  renderReservation,
  visibleReservation,
} from '../../pipeline/budget-api/index.js';
import { authenticateCaller } from '../../auth.js';
import { H } from '../../headers.js';

export function registerReservationRoutes(app: Hono<{ Bindings: HttpBindings }>, deps: PipelineDeps): void {
  app.post('/budget/reservations', async (c) => {
    const principal = requirePrincipal(
      authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey)),
      'make reservations',
    );
    const body = parseBody(reserveSchema, parseJsonText(await c.req.text()));
    const answer = await createReservation(deps, principal, body, c.req.header(H.idempotencyKey) ?? null);
    return c.json(answer.body, answer.status, answer.headers);
  });

  app.get('/budget/reservations/:id', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    return c.json(renderReservation(await visibleReservation(deps, caller, c.req.param('id'))));
  });

  app.post('/budget/reservations/:id/commit', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    const body = parseBody(commitSchema, parseJsonText(await c.req.text()));
    return c.json(await commitReservation(deps, caller, c.req.param('id'), body));
  });

  app.post('/budget/reservations/:id/release', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    return c.json(await releaseReservation(deps, caller, c.req.param('id')));
  });
}
