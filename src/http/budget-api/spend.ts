// GET /budget/spend (docs/design.md §8): attribution as JSON, or RFC 4180 CSV for `Accept: text/csv`.
// HTTP only; pipeline/budget-api/spend.ts validates and queries.
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import type { PipelineDeps } from '../../pipeline/deps.js';
import { SPEND_COLUMNS, spendQuery, spendReport } from '../../pipeline/budget-api/index.js';
import { authenticateCaller } from '../../auth.js';
import { CSV_CONTENT_TYPE, prefersCsv, toCsv } from '../csv.js';
import { H } from '../../headers.js';

export function registerSpendRoutes(app: Hono<{ Bindings: HttpBindings }>, deps: PipelineDeps): void {
  app.get('/budget/spend', async (c) => {
    const caller = authenticateCaller(deps.config, c.req.header(H.authorization), c.req.header(H.apiKey));
    const query = spendQuery(deps, caller, {
      group_by: c.req.query('group_by'),
      from: c.req.query('from'),
      to: c.req.query('to'),
      run_id: c.req.query('run_id'),
      tenant: c.req.query('tenant'),
      key_id: c.req.query('key_id'),
    });
    const report = await spendReport(deps, query);
    if (!prefersCsv(c.req.header('accept')) && c.req.query('format') !== 'csv') return c.json(report);
    const csv = toCsv(
      SPEND_COLUMNS,
      report.rows.map((row) => SPEND_COLUMNS.map((column) => row[column])),
    );
    return c.body(csv, 200, {
      'content-type': CSV_CONTENT_TYPE,
      'content-disposition': `attachment; filename="runcap-spend-by-${report.group_by}.csv"`,
    });
  });
}
