// THE pipeline (docs/design.md §1): authenticate -> parse -> price -> estimate -> resolve run ->
// decide + atomic reserve -> forward -> reconcile -> respond. The only module that
// orders these steps; everything it calls is a pure function or a narrow interface.
import type { TenantPolicy } from '../config/types.js';
import { RuncapError, invalidRequest } from '../errors.js';
import { H } from '../headers.js';
import { newDecisionId } from '../ids.js';
import { tightestScope } from '../policy/fits.js';
import { loopBrakeOn, runBrakes } from '../policy/brakes.js';
import { buildScopes, endUserId } from '../policy/scopes.js';
import { lookupModel } from '../pricing/lookup.js';
import { priceAtServiceTier } from '../pricing/service-tier.js';
import type { ModelPrice } from '../pricing/types.js';
import { requirePrice } from './require-price.js';
import type { Principal } from '../principal.js';
import type { ParsedRequest } from '../proxy/adapter.js';
import type { HeaderReader } from '../proxy/request-headers.js';
import { parseRequestJson } from '../proxy/json-body.js';
import { admit, type Admission } from './admit.js';
import { LedgerError } from '../ledger/index.js';
import type { CallContext, ProxyCall } from './call-context.js';
import { announceDecision } from './announce.js';
import { budgetHeaders, refusalState, type DecisionState } from './decision.js';
import type { PipelineDeps } from './deps.js';
import { forwardUnheld } from './forward-unheld.js';
import { forward, upstreamOf, type ForwardInput } from './forward.js';
import { ledgerCall, LedgerDown } from './ledger-call.js';
import { planFor, upstreamChanges, type PlanContext } from './plan.js';
import { lookupProviderState } from './provider-state.js';
import { decisionRecordOf } from './decision-record.js';
import { refuseCall, type RecordBase } from './refuse-call.js';
import { namedRun, resolveRun, RUN_HEADER_PARAMS, type ResolvedRun } from './resolve-run.js';
import { createSettler } from './settle-call.js';
import { tenantPolicy } from './tenant-policy.js';

export async function proxyCall(deps: PipelineDeps, call: ProxyCall): Promise<Response> {
  const startedNs = process.hrtime.bigint();
  const principal = call.principal;
  // A passthrough key the provider just rejected: refused before anything is written for it.
  deps.keyVerdicts.refuseRejected(principal);
  const tenant = tenantPolicy(deps, principal.tenant);
  const table =
    (tenant.priceTableVersion ? deps.catalog.byVersion.get(tenant.priceTableVersion) : undefined) ??
    deps.catalog.latest;
  const context: CallContext = { call, principal, tenant, table };
  try {
    const request = (context.request = call.adapter.parse(parseRequestJson(call.body)));
    // Every model, requested or alternative, is priced at the service tier the request asks for;
    // an alternative without a price for that tier is no alternative.
    const lookup = (model: string): ModelPrice | null => {
      const found = lookupModel(table, model, tenant.priceOverrides);
      return found.found ? priceAtServiceTier(found.price, request.serviceTier) : null;
    };
    const price = requirePrice(deps, tenant, table, request, lookup);
    if (request.background === true && tenant.background === 'refuse') {
      throw new RuncapError(
        'background_not_allowed',
        'This tenant does not allow background responses (tenant policy background: refuse); send the call without background: true.',
        { param: 'background' },
      );
    }
    // Bounds the counting this request may cause (413 above it), and counts its never-seen texts
    // on worker threads when together they are large, so planning only hits the cache. The texts
    // the estimate counts hold no more characters than the body, so small bodies skip this pass.
    // When nothing went to the workers, the probe's estimate is the plan's (one walk, not two).
    const prefetched = await deps.tokenizer.prefetchEstimate?.(
      (probe) => call.adapter.estimateInput(request, price, probe),
      {
        maxTotalChars: call.body.byteLength,
        bounds: { maxTexts: deps.config.server.maxCountedTexts, maxChars: deps.config.server.maxCountedChars },
      },
    );
    const { chain, conversation } = await lookupProviderState(deps, tenant.name, request);
    const planContext: PlanContext = {
      adapter: call.adapter,
      request,
      tenant,
      tokenizer: deps.tokenizer,
      chain,
      conversation,
    };
    const requested = (context.plan = planFor(planContext, price, prefetched?.estimate));

    const tags = attributionTags(call.headers, tenant, principal);
    const named = namedRun(call.headers, tenant);
    // The newest step is hashed only when the loop brake is on: otherwise a call pays nothing for it.
    const stepHash = loopBrakeOn(tenant) ? (call.adapter.newestStepHash?.(request) ?? null) : null;
    const idempotencyKey = call.headers.get(H.idempotencyKey);
    const decisionId = newDecisionId();
    // A run this instance opened before is not opened again when the ledger checks it inside the
    // reserve (one round trip, not two); if that check finds it changed, it is opened and the call admitted again.
    const known = deps.store.ledger.checksRuns === true ? deps.knownRuns : undefined;
    const resolveAndAdmit = async (): Promise<{ run: ResolvedRun; admission: Admission }> => {
      const run = await resolveRun(
        { open: (r) => ledgerCall(deps, 'open_run', () => deps.store.runs.open(r)) },
        tenant,
        principal,
        {
          runId: named.runId,
          budgetUsd: call.headers.get(H.runBudget),
          parentRunId: call.headers.get(H.parentRunId),
          params: { runId: named.header, budget: RUN_HEADER_PARAMS.budget, parent: RUN_HEADER_PARAMS.parent },
        },
        known,
      );
      context.runId = run.runId;
      const scopes = buildScopes(tenant, {
        runId: run.runId,
        runLimitMicros: run.limitMicros,
        keyId: principal.keyId,
        teamId: principal.teamId,
        ...tags,
        ancestors: run.ancestors,
      });
      const admission = await admit(deps, {
        tenant,
        decisionId,
        scopes,
        attribution: {
          runId: run.runId,
          keyId: principal.keyId,
          teamId: principal.teamId,
          ...tags,
          endpoint: call.adapter.name,
        },
        idempotencyKey: idempotencyKey ? `${principal.keyId}:proxy:${idempotencyKey}` : null,
        planContext,
        requested,
        priceTableVersion: table.version,
        lookup,
        brakes: runBrakes(tenant, run.runId, stepHash),
        runCheck: run.unchecked === true ? { runId: run.runId, keyId: principal.keyId } : undefined,
      });
      return { run, admission };
    };
    let resolved: { run: ResolvedRun; admission: Admission };
    try {
      resolved = await resolveAndAdmit();
    } catch (error) {
      if (!(error instanceof LedgerError && error.code === 'run_changed') || context.runId === undefined) throw error;
      known?.forget(tenant.name, context.runId);
      resolved = await resolveAndAdmit();
    }
    const { run, admission } = resolved;
    const record = {
      id: decisionId,
      principal,
      runId: run.runId,
      ...tags,
      endpoint: call.adapter.name,
      requestedModel: request.model,
      requested,
      priceTableVersion: table.version,
    };
    if (admission.kind !== 'admitted') throw refuseCall(deps, context, admission, record);
    return await dispatch(deps, context, admission, record, startedNs);
  } catch (error) {
    if (error instanceof LedgerDown) return forwardUnheld(deps, context, error);
    if (error instanceof RuncapError && !error.extra.headers)
      throw error.withHeaders(
        budgetHeaders(
          refusalState({ mode: tenant.run.mode, priceTableVersion: table.version, runId: context.runId ?? null }),
        ),
      );
    throw error;
  }
}

/** An admitted call (its hold already `forwarded`): record it and send it upstream. */
async function dispatch(
  deps: PipelineDeps,
  context: CallContext,
  admission: Extract<Admission, { kind: 'admitted' }>,
  record: RecordBase,
  startedNs: bigint,
): Promise<Response> {
  const { call, principal, table } = context;
  const request = context.request as ParsedRequest;
  const { plan, reservation } = admission;
  // The hold is created already `forwarded`: one that an Idempotency-Key reused belongs to a
  // request still in flight, and a concurrent retry must not spend it a second time.
  if (admission.reused) {
    throw new RuncapError('conflict', 'A request with this Idempotency-Key is already in flight.', {
      param: 'Idempotency-Key',
    });
  }
  const settle = createSettler(deps, {
    reservationId: reservation.id,
    decisionId: record.id,
    tenant: context.tenant.name,
    keyId: context.principal.keyId,
    runId: context.runId ?? null,
    endpoint: call.adapter.name,
    plan,
    holdMicros: reservation.amountMicros,
  });
  let upstreamCall: ForwardInput;
  try {
    const tightest = tightestScope(admission.views);
    const state: DecisionState = {
      id: record.id,
      kind: admission.decision,
      mode: admission.mode,
      reservationId: reservation.id,
      blockingScope: tightest,
      remainingMicros: tightest?.availableMicros ?? null,
      requestedModel: request.model,
      selectedModel: plan.price.model,
      outputClamped: plan.outputClamped,
      priceTableVersion: table.version,
      runId: record.runId,
      failOpen: false,
    };
    announceDecision(deps, {
      id: record.id,
      principal,
      decision: admission.decision,
      mode: admission.mode,
      endpoint: call.adapter.name,
      code: null,
      scope: tightest,
      runId: record.runId,
      model: plan.price.model,
      estimateMicros: plan.amountMicros,
      hold: { reservationId: reservation.id, amountMicros: reservation.amountMicros, views: admission.views },
      record: (nowMs) =>
        decisionRecordOf(record, {
          nowMs,
          decision: admission.decision,
          mode: admission.mode,
          code: null,
          blocking: tightest,
          selected: plan,
          reservationId: reservation.id,
          views: admission.views,
          alternatives: [],
          failOpen: false,
        }),
    });

    const changes = upstreamChanges(request, plan, admission.decision === 'downgrade' ? plan.price.model : undefined);
    upstreamCall = {
      adapter: call.adapter,
      request,
      rawBody: call.body,
      preparedBody: call.adapter.prepareUpstream(request, changes),
      clientHeaders: call.headers,
      query: call.query ?? '',
      principal,
      upstream: upstreamOf(deps, principal.upstream),
      budgetHeaders: budgetHeaders(state),
      clientSignal: call.signal,
      abortClient: call.abortClient,
      reservationId: reservation.id,
      settle,
    };
  } catch (error) {
    // Nothing was sent: the hold must not wait for expiry to be charged.
    await settle({ kind: 'release', reason: 'not_sent' });
    throw error;
  }
  deps.metrics.overheadSeconds.observe(
    { endpoint: call.adapter.name },
    Number(process.hrtime.bigint() - startedNs) / 1e9,
  );
  return forward(deps, upstreamCall);
}

function attributionTags(
  headers: HeaderReader,
  tenant: TenantPolicy,
  principal: Principal,
): { feature: string | null; userId: string | null } {
  const feature = headerTag(headers, H.feature);
  const userId = endUserId(principal, tenant.allowUserHeader ? headerTag(headers, H.user) : null);
  return { feature, userId };
}

function headerTag(headers: HeaderReader, name: string): string | null {
  const value = headers.get(name);
  if (value === null || value === '') return null;
  if (value.length > 128) throw invalidRequest(`${name} must be at most 128 characters.`, name);
  return value;
}
