// Every header name runcap reads or writes (docs/design.md §6), in one place. Below http/, pipeline/
// and proxy/, which all use it; imports nothing.

export const H = {
  decision: 'x-budget-decision',
  decisionId: 'x-budget-decision-id',
  reservationId: 'x-budget-reservation-id',
  mode: 'x-budget-enforcement-mode',
  blockingScope: 'x-budget-blocking-scope',
  remaining: 'x-budget-remaining-usd',
  requestedModel: 'x-budget-requested-model',
  selectedModel: 'x-budget-selected-model',
  outputClamped: 'x-budget-output-clamped',
  priceTableVersion: 'x-budget-price-table-version',
  /** Set when the ledger was unreachable and the tenant's policy let the call through. */
  failOpen: 'x-budget-fail-open',
  runId: 'x-run-id',
  runBudget: 'x-run-budget-usd',
  feature: 'x-budget-feature',
  user: 'x-budget-user',
  idempotencyKey: 'idempotency-key',
  shouldRetry: 'x-should-retry',
  authorization: 'authorization',
} as const;

/** Request headers that are runcap's own and never reach the provider. */
export const RUNCAP_REQUEST_HEADERS: ReadonlySet<string> = new Set([H.runId, H.runBudget, H.feature, H.user]);

/** RFC 9110 §7.6.1 hop-by-hop headers, plus those runcap recomputes. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);
