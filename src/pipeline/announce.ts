// Announces a budget decision, the same way for the proxy path and the budget API: the stored
// decision record (written behind, tracked for shutdown), its live event (GET /budget/events), the decisions metric, the held USD and
// run utilisation when a hold was placed, and one `budget decision` log line. Decides nothing.
import type { BrakeVerdict, EnforcementMode, ScopeView } from '../ledger/index.js';
import { formatUsd, type Micros } from '../money/micros.js';
import type { Principal } from '../principal.js';
import { observeRunUtilization } from './budget-gauges.js';
import { scopeLabel, type DecisionKind } from './decision.js';
import type { PipelineDeps } from './deps.js';
import { decisionEventData } from './event-data.js';

export interface Announcement {
  readonly id: string;
  /** Owner of the stored record (its tenant and key). */
  readonly principal: Principal;
  readonly decision: DecisionKind;
  readonly mode: EnforcementMode;
  /** The metrics label and attribution endpoint: chat/completions, ..., or reservations. */
  readonly endpoint: string;
  /** The refusal's code (blocks only); logged when not null. */
  readonly code: string | null;
  /** The scope that blocked, or the tightest one of an admitted call. */
  readonly scope: ScopeView | null;
  readonly runId: string;
  readonly model: string | null;
  readonly estimateMicros: Micros;
  /** The hold placed (admitted calls), with the views it left. */
  readonly hold: {
    readonly reservationId: string;
    readonly amountMicros: Micros;
    readonly views: readonly ScopeView[];
  } | null;
  /** The runaway brake that refused the call, if one did. */
  readonly brake?: BrakeVerdict | null;
  /** The stored record, built at the announcement's clock reading. */
  readonly record: (nowMs: number) => Record<string, unknown>;
}

export function announceDecision(deps: PipelineDeps, announcement: Announcement): void {
  const { id, principal, decision, mode, hold } = announcement;
  const nowMs = deps.clock();
  const record = announcement.record(nowMs);
  deps.tasks.track(
    deps.store.decisions.put({
      id,
      tenant: principal.tenant,
      keyId: principal.keyId,
      runId: announcement.runId,
      createdAtMs: nowMs,
      record,
    }),
  );
  deps.events.publish(
    'decision',
    { tenant: principal.tenant, keyId: principal.keyId, runId: announcement.runId },
    decisionEventData(record),
  );
  const scope = announcement.scope === null ? 'none' : scopeLabel(announcement.scope, announcement.runId);
  deps.metrics.decisions.inc({ decision, mode, blocking_scope: scope, endpoint: announcement.endpoint });
  countBrake(deps, announcement, scope);
  if (hold) {
    deps.metrics.reservedUsd.inc(hold.amountMicros / 1e6);
    observeRunUtilization(deps.metrics, hold.views);
  }
  deps.logger.info(
    {
      decision_id: id,
      decision,
      ...(announcement.code === null ? {} : { code: announcement.code }),
      mode,
      run_id: announcement.runId,
      model: announcement.model,
      estimate_usd: formatUsd(announcement.estimateMicros),
      ...(hold ? { reservation_id: hold.reservationId } : {}),
    },
    'budget decision',
  );
}

/** The brake metrics (docs/design.md §12): velocity throttles, loop blocks, parent-ceiling blocks. */
function countBrake(deps: PipelineDeps, announcement: Announcement, scope: string): void {
  const { brake } = announcement;
  if (brake?.kind === 'velocity') {
    deps.metrics.velocityThrottles.inc({ scope, endpoint: announcement.endpoint });
    if (brake.retryAfterMs !== null) deps.metrics.velocityRetryAfter.observe(brake.retryAfterMs / 1000);
  } else if (brake?.kind === 'loop') {
    deps.metrics.loopBlocks.inc({ endpoint: announcement.endpoint });
  } else if (announcement.code === 'parent_run_ceiling_reached') {
    deps.metrics.parentRunBlocks.inc({ endpoint: announcement.endpoint });
  }
}
