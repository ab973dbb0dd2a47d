// Delivers threshold alerts (docs/design.md §12) from the ledger's outbox: leases the due ones,
// POSTs each as JSON signed `X-Runcap-Signature: sha256=<hex HMAC-SHA256 of the body>` with the
// tenant's secret, marks it delivered on a 2xx, else retries it later with exponential backoff.
// At least once; never on a request's path (its own timer); one pass at a time; stop() waits.
import { createHmac } from 'node:crypto';
import type { PendingAlert } from '../ledger/index.js';
import { formatUsd } from '../money/micros.js';
import type { PipelineDeps } from './deps.js';

/** Alerts leased per pass. */
const CLAIM_BATCH = 50;
const BASIS_POINTS = 10_000;

export interface AlertDeliverer {
  /** One pass now (also what the timer calls). */
  deliverDue(): Promise<void>;
  stop(): Promise<void>;
}

/** The webhook body: the event of SPEC §12, plus its type and a stable id for the receiver's dedupe. */
export function alertBody(alert: PendingAlert): string {
  const threshold = alert.thresholdBp / BASIS_POINTS;
  return JSON.stringify({
    type: 'run.threshold_crossed',
    id: `${alert.tenant}/${alert.runId}/${threshold}/${formatUsd(alert.limitMicros)}`,
    run_id: alert.runId,
    tenant: alert.tenant,
    key_id: alert.keyId,
    limit_usd: formatUsd(alert.limitMicros),
    committed_usd: formatUsd(alert.committedMicros),
    threshold,
    at: new Date(alert.crossedAtMs).toISOString(),
  });
}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function startAlertDeliverer(deps: PipelineDeps, options: { autoStart?: boolean } = {}): AlertDeliverer {
  const settings = deps.config.alertDelivery;
  // A lease outlasts one POST, so a second instance never posts an alert this one is still sending.
  const leaseMs = settings.timeoutMs * 2 + 5_000;
  let current: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const backoffMs = (attempts: number): number =>
    Math.min(settings.maxBackoffMs, settings.initialBackoffMs * 2 ** Math.min(attempts, 30));

  async function deliver(alert: PendingAlert): Promise<void> {
    const policy = deps.config.tenants.get(alert.tenant)?.alerts ?? null;
    const log = { run_id: alert.runId, tenant: alert.tenant, threshold_bp: alert.thresholdBp };
    if (policy === null) {
      await deps.store.alerts.drop(alert, 'the tenant has no alerts configured');
      deps.metrics.alertsDropped.inc({ reason: 'not_configured' });
      deps.logger.warn(log, 'threshold alert dropped: the tenant has no alerts configured any more');
      return;
    }
    if (deps.clock() - alert.crossedAtMs > settings.giveUpAfterMs) {
      await deps.store.alerts.drop(alert, `not delivered within ${settings.giveUpAfterMs} ms`);
      deps.metrics.alertsDropped.inc({ reason: 'expired' });
      deps.logger.error({ ...log, attempts: alert.attempts }, 'threshold alert dropped: not delivered in time');
      return;
    }
    const body = alertBody(alert);
    let failure: { reason: 'status' | 'network' | 'timeout'; detail: string } | null = null;
    try {
      const response = await fetch(policy.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'runcap-alerts',
          'x-runcap-signature': signature(policy.secret, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status < 200 || response.status > 299)
        failure = { reason: 'status', detail: `HTTP ${response.status}` };
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      failure = {
        reason: timedOut ? 'timeout' : 'network',
        detail: error instanceof Error ? error.message : String(error),
      };
    }
    if (failure === null) {
      await deps.store.alerts.delivered(alert);
      deps.metrics.alertsDelivered.inc();
      deps.logger.info(log, 'threshold alert delivered');
      return;
    }
    const delayMs = backoffMs(alert.attempts);
    await deps.store.alerts.retryLater(alert, delayMs, failure.detail);
    deps.metrics.alertDeliveryFailures.inc({ reason: failure.reason });
    deps.logger.warn(
      { ...log, attempt: alert.attempts + 1, retry_in_ms: delayMs, error: failure.detail },
      'threshold alert delivery failed; will retry',
    );
  }

  // Only tenants with alerts configured can have queued any (the ledger checks the same policy).
  const tenants = [...deps.config.tenants.values()].filter((t) => t.alerts !== null).map((t) => t.name);

  async function pass(): Promise<void> {
    if (tenants.length === 0) return;
    for (;;) {
      const due = await deps.store.alerts.claimDue(leaseMs, CLAIM_BATCH, tenants);
      for (const alert of due) {
        if (stopped) return;
        await deliver(alert);
      }
      if (due.length < CLAIM_BATCH || stopped) break;
    }
    deps.metrics.alertOutboxDepth.set(await deps.store.alerts.pending(tenants));
  }

  const deliverDue = (): Promise<void> => {
    current ??= pass()
      .catch((error: unknown) => deps.logger.error({ err: error }, 'threshold alert pass failed; will retry'))
      .finally(() => {
        current = null;
      });
    return current;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void deliverDue().finally(schedule);
    }, settings.pollIntervalMs);
    timer.unref();
  };
  if (options.autoStart ?? true) schedule();

  return {
    deliverDue,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
