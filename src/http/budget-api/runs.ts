// Runs on the budget API (docs/design.md §2, §8, §12): POST /budget/runs, GET /budget/runs[/{id}],
// GET /budget/runs/{id}/calls, PATCH /budget/runs/{id}, POST /budget/runs/{id}/close. HTTP only; pipeline/budget-api/runs.ts does the work.
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import type { PipelineDeps } from '../../pipeline/deps.js';
import {
  createRunSchema,
  parseBody,
  parseJsonText,
  closeRun,
  createRun,
  listRunCalls,
  listRuns,
  patchRun,
  patchRunSchema,
  runReport,
  visibleRun,
} from '../../pipeline/budget-api/index.js';
import { authenticateCaller } from '../../auth.js';
import { H } from '../../headers.js';

export function registerRunRoutes(app: Hono<{ Bindings: HttpBindings }>, deps: PipelineDeps): void {
  app.post('/budget/runs', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    const body = parseBody(createRunSchema, parseJsonText(await c.req.text()));
    return c.json(await createRun(deps, caller, body), 201);
  });

  app.get('/budget/runs', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    return c.json(
      await listRuns(deps, caller, {
        tenant: c.req.query('tenant'),
        key_id: c.req.query('key_id'),
        state: c.req.query('state'),
        limit: c.req.query('limit'),
        cursor: c.req.query('cursor'),
      }),
    );
  });

  app.get('/budget/runs/:id/calls', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    const run = await visibleRun(deps, caller, c.req.param('id'), c.req.query('tenant'));
    return c.json(await listRunCalls(deps, run, { limit: c.req.query('limit'), cursor: c.req.query('cursor') }));
  });

  app.get('/budget/runs/:id', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    const run = await visibleRun(deps, caller, c.req.param('id'), c.req.query('tenant'));
    return c.json(await runReport(deps, caller, run));
  });

  app.patch('/budget/runs/:id', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    const run = await visibleRun(deps, caller, c.req.param('id'), c.req.query('tenant'));
    const body = parseBody(patchRunSchema, parseJsonText(await c.req.text()));
    return c.json(await patchRun(deps, caller, run, body));
  });

  app.post('/budget/runs/:id/close', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    const run = await visibleRun(deps, caller, c.req.param('id'), c.req.query('tenant'));
    return c.json(await closeRun(deps, caller, run));
  });
}
