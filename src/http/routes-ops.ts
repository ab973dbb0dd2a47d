// Operational endpoints: /healthz (process up), /readyz (ledger reachable, prices
// loaded), /metrics (Prometheus exposition of runcap's own registry), and `HEAD /` (with
// `GET /`), which Claude Code probes before its first call (docs/design.md §8.1).
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import type { PipelineDeps } from '../pipeline/deps.js';
import { canonicalModels } from '../pricing/lookup.js';

/** What the app knows of its own lifecycle, shared with main's shutdown. */
export interface AppState {
  /** True once SIGTERM arrived: new calls are refused while in-flight ones finish. */
  draining: boolean;
}

export function registerOpsRoutes(app: Hono<{ Bindings: HttpBindings }>, deps: PipelineDeps, state: AppState): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  // Hono answers HEAD with its GET route, without the body.
  app.get('/', (c) => c.body(null, 200));

  app.get('/readyz', async (c) => {
    const prices = { version: deps.catalog.latest.version, models: canonicalModels(deps.catalog.latest).length };
    if (state.draining) return c.json({ status: 'draining', prices }, 503);
    try {
      await deps.store.ledger.ping();
      return c.json({ status: 'ready', ledger: deps.store.ledger.backend, prices });
    } catch (error) {
      return c.json(
        { status: 'ledger_unreachable', ledger: deps.store.ledger.backend, error: (error as Error).message, prices },
        503,
      );
    }
  });

  app.get('/metrics', async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': deps.metrics.registry.contentType });
  });
}
