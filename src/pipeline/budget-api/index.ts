// The budget API's door (docs/design.md §8: runs, reservations, spend, decision records): what the
// HTTP binding (http/budget-api/) calls. Nothing outside pipeline/budget-api/ imports another
// file of this folder; this folder builds on the pipeline's shared pieces (../decision.ts,
// ../plan.ts, ../decision-record.ts, ../resolve-run.ts), never the other way round.
export { requirePrincipal } from './access.js';
export { visibleDecision } from './decisions.js';
export { subscribeEvents } from './events.js';
export { commitSchema, createRunSchema, parseBody, parseJsonText, patchRunSchema, reserveSchema } from './input.js';
export { createReservation } from './reserve.js';
export { closeRun, createRun, runReport, visibleRun } from './runs.js';
export { listRunCalls, listRuns } from './run-listing.js';
export { patchRun } from './run-limit.js';
export { commitReservation, releaseReservation, renderReservation, visibleReservation } from './settle-reservation.js';
export { SPEND_COLUMNS, spendQuery, spendReport } from './spend.js';
