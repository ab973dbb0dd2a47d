// A proxied call while the ledger is down (docs/design.md §3.4): ledger-outage.ts applies the tenant's
// policy (503 when it fails closed); a fail-open call is forwarded WITHOUT a hold, loudly: an
// error log, a metric, the X-Budget-Fail-Open header, and its spend logged when it ends.
import { newDecisionId, newRunId } from '../ids.js';
import { formatUsd } from '../money/micros.js';
import { costMicros } from '../pricing/cost.js';
import { priceForServedTier } from '../pricing/service-tier.js';
import type { ParsedRequest } from '../proxy/adapter.js';
import { budgetHeaders, refusalState } from './decision.js';
import type { PipelineDeps } from './deps.js';
import { forward, upstreamOf } from './forward.js';
import { hostedFeesMicros } from './hosted-tools-plan.js';
import type { LedgerDown } from './ledger-call.js';
import { failOpenOrClosed } from './ledger-outage.js';
import type { CallContext } from './call-context.js';
import type { SettleOutcome } from './settle-call.js';
import { upstreamChanges } from './plan.js';
import { namedRun } from './resolve-run.js';

export async function forwardUnheld(deps: PipelineDeps, context: CallContext, down: LedgerDown): Promise<Response> {
  const { tenant, table, call, principal } = context;
  const runId = context.runId ?? namedRun(call.headers, tenant).runId ?? newRunId();
  const request = context.request as ParsedRequest;
  const plan = context.plan;
  const log = failOpenOrClosed(deps, {
    tenant,
    priceTableVersion: table.version,
    runId,
    down,
    subject: 'call',
    canGoOn: plan !== undefined,
  });
  if (!plan) throw new Error('unreachable: failOpenOrClosed refuses a call that has no plan yet');

  // The decision cannot be stored while the ledger is down: its id and outcome go to the log.
  const decisionId = newDecisionId();
  deps.metrics.decisions.inc({
    decision: 'allow',
    mode: tenant.run.mode,
    blocking_scope: 'none',
    endpoint: call.adapter.name,
  });
  deps.logger.error(
    { ...log, decision_id: decisionId, model: plan.price.model, estimate_usd: formatUsd(plan.amountMicros) },
    'ledger unavailable: call forwarded WITHOUT a budget hold (fail open)',
  );
  const state = {
    ...refusalState({ mode: tenant.run.mode, priceTableVersion: table.version, runId }),
    id: decisionId,
    kind: 'allow' as const,
    failOpen: true,
    selectedModel: plan.price.model,
  };
  const settle = async (outcome: SettleOutcome): Promise<void> => {
    // Nothing to commit against: record the spend in the log so it can be reconciled by hand.
    const spent =
      outcome.kind === 'usage'
        ? formatUsd(
            costMicros(priceForServedTier(plan.price, outcome.usage.serviceTier).price, outcome.usage) +
              (plan.hostedTools ? hostedFeesMicros(plan.hostedTools, outcome.hostedCalls ?? {}) : 0),
          )
        : outcome.kind === 'release'
          ? '0.00'
          : `<= ${formatUsd(plan.amountMicros)}`;
    deps.logger.error(
      {
        ...log,
        err: undefined,
        decision_id: decisionId,
        model: plan.price.model,
        unrecorded_spend_usd: spent,
        outcome: outcome.kind,
      },
      'fail-open call finished; its spend is not in the ledger',
    );
  };
  return forward(deps, {
    adapter: call.adapter,
    request,
    rawBody: call.body,
    preparedBody: call.adapter.prepareUpstream(request, upstreamChanges(request, plan)),
    clientHeaders: call.headers,
    query: call.query ?? '',
    principal,
    upstream: upstreamOf(deps, principal.upstream),
    budgetHeaders: budgetHeaders(state),
    clientSignal: call.signal,
    abortClient: call.abortClient,
    reservationId: null,
    settle,
  });
}
