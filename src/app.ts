// createApp(deps): the routes and the one error handler (problem+json, or Anthropic's error
// shape on the Anthropic endpoints). No I/O at import time.
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { RuncapError } from './errors.js';
import { anthropicErrorResponse, speaksAnthropic } from './http/anthropic-error.js';
import { problemResponse } from './http/problem.js';
import { registerProxyRoutes } from './http/routes-proxy.js';
import { registerOpsRoutes, type AppState } from './http/routes-ops.js';
import { registerUiRoutes } from './http/routes-ui.js';
import { registerBudgetApiRoutes } from './http/budget-api/index.js';
import type { PipelineDeps } from './pipeline/deps.js';

export type { AppState };

export function createApp(deps: PipelineDeps, state: AppState = { draining: false }): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();

  app.use('/v1/*', async (c, next) => {
    if (state.draining) throw new RuncapError('shutting_down', 'runcap is shutting down; retry on another instance.');
    await next();
  });
  registerOpsRoutes(app, deps, state);
  registerBudgetApiRoutes(app, deps);
  registerProxyRoutes(app, deps);
  registerUiRoutes(app);

  app.notFound(() => problemResponse(new RuncapError('not_found', 'No such route.')));
  app.onError((error, c) => {
    // Each API's clients read refusals in its own shape (docs/design.md §6, §8.1).
    const render = speaksAnthropic(c.req.path) ? anthropicErrorResponse : problemResponse;
    if (error instanceof RuncapError) {
      return render(error, new Headers(error.extra.headers), error.status);
    }
    deps.logger.error({ err: error }, 'unhandled error');
    return render(
      new RuncapError('internal_error', 'runcap hit an internal error; the call was not completed (see its log).'),
      new Headers(),
    );
  });
  return app;
}
