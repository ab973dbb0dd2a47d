// The budget plane (SPEC §8): decision records, runs, spend, and reservations for
// callers that are not OpenAI traffic. A principal sees its own; the admin token sees all.
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import { RuncapError } from '../errors.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { authenticateCaller } from './auth.js';
import { H } from './headers.js';

export function registerBudgetRoutes(app: Hono<{ Bindings: HttpBindings }>, deps: PipelineDeps): void {
  app.get('/budget/decisions/:id', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization));
    const decision = await deps.store.decisions.get(c.req.param('id'));
    const visible = decision && (caller.admin || (decision.tenant === caller.principal.tenant && decision.keyId === caller.principal.keyId));
    if (!decision || !visible) throw new RuncapError('not_found', `No decision "${c.req.param('id')}" visible to this caller.`);
    return c.json(decision.record);
  });
}
