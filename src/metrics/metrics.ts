// Every Prometheus metric runcap exports (names, help, labels) in one place, on a
// registry of its own. Labels are bounded: never a run id, user id or key. Counters and
// histograms are counted by runcap per label set (label-set-metrics.ts) and read by the
// registry at scrape time; gauges and the process metrics are prom-client's own.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LabelSetCounter, LabelSetHistogram } from './label-set-metrics.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const OVERHEAD_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];
const LEDGER_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1];
const RATIO_BUCKETS = [1, 1.1, 1.25, 1.5, 2, 3, 5, 10, 25, 50, 100, 1000];

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'runcap_process_' });
  const registers = [registry];

  return {
    registry,
    decisions: new LabelSetCounter({
      name: 'runcap_decisions_total',
      help: 'Budget decisions by outcome, deciding mode and blocking scope type.',
      labelNames: ['decision', 'mode', 'blocking_scope', 'endpoint'] as const,
      registers,
    }),
    reservedUsd: new LabelSetCounter({
      name: 'runcap_reserved_usd_total',
      help: 'USD placed on hold by reservations.',
      registers,
    }),
    committedUsd: new LabelSetCounter({
      name: 'runcap_committed_usd_total',
      help: 'USD committed as spent, by usage source (provider, estimated, expired, caller).',
      labelNames: ['usage_source'] as const,
      registers,
    }),
    releasedUsd: new LabelSetCounter({
      name: 'runcap_released_usd_total',
      help: 'USD of holds released without charge.',
      registers,
    }),
    expiredUsd: new LabelSetCounter({
      name: 'runcap_expired_usd_total',
      help: 'USD of holds expired by the sweeper and charged in full.',
      registers,
    }),
    expiredHolds: new LabelSetCounter({
      name: 'runcap_expired_reservations_total',
      help: 'Reservations expired by the sweeper, by whether the hold was charged.',
      labelNames: ['charged'] as const,
      registers,
    }),
    alertsDelivered: new LabelSetCounter({
      name: 'runcap_alerts_delivered_total',
      help: 'Threshold alerts delivered (the webhook answered 2xx).',
      registers,
    }),
    alertDeliveryFailures: new LabelSetCounter({
      name: 'runcap_alert_delivery_failures_total',
      help: 'Failed threshold alert attempts (each is retried with backoff), by reason (status, network, timeout).',
      labelNames: ['reason'] as const,
      registers,
    }),
    alertsDropped: new LabelSetCounter({
      name: 'runcap_alerts_dropped_total',
      help: 'Threshold alerts given up, by reason (not_configured, expired).',
      labelNames: ['reason'] as const,
      registers,
    }),
    alertOutboxDepth: new Gauge({
      name: 'runcap_alert_outbox_depth',
      help: 'Threshold alerts waiting in the ledger outbox (sampled after each delivery pass).',
      registers,
    }),
    eventsDropped: new LabelSetCounter({
      name: 'runcap_events_dropped_total',
      help: 'Live events (GET /budget/events) a subscriber lost because it read slower than they came.',
      registers,
    }),
    eventSubscribers: new Gauge({
      name: 'runcap_event_subscribers',
      help: 'Open GET /budget/events streams on this instance.',
      registers,
    }),
    overruns: new LabelSetCounter({
      name: 'runcap_overruns_total',
      help: 'Commits larger than their hold.',
      registers,
    }),
    overrunUsd: new LabelSetCounter({
      name: 'runcap_overrun_usd_total',
      help: 'USD committed beyond the hold.',
      registers,
    }),
    estimateRatio: new LabelSetHistogram({
      name: 'runcap_estimate_to_actual_ratio',
      help: 'Hold divided by actual cost: how much the worst case over-reserves.',
      labelNames: ['endpoint'] as const,
      buckets: RATIO_BUCKETS,
      registers,
    }),
    upstreamSeconds: new LabelSetHistogram({
      name: 'runcap_upstream_duration_seconds',
      help: 'Upstream call duration until the response (or stream) ended.',
      labelNames: ['endpoint', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    upstreamTtfbSeconds: new LabelSetHistogram({
      name: 'runcap_upstream_ttfb_seconds',
      help: 'Time to the upstream response headers.',
      labelNames: ['endpoint', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    overheadSeconds: new LabelSetHistogram({
      name: 'runcap_overhead_seconds',
      help: "runcap's own added latency per call: everything except waiting for the upstream.",
      labelNames: ['endpoint'] as const,
      buckets: OVERHEAD_BUCKETS,
      registers,
    }),
    ledgerSeconds: new LabelSetHistogram({
      name: 'runcap_ledger_operation_duration_seconds',
      help: 'Ledger operation latency.',
      labelNames: ['backend', 'operation'] as const,
      buckets: LEDGER_BUCKETS,
      registers,
    }),
    ledgerErrors: new LabelSetCounter({
      name: 'runcap_ledger_errors_total',
      help: 'Ledger operations that failed (backend unreachable or erroring).',
      labelNames: ['backend', 'operation'] as const,
      registers,
    }),
    liveReservations: new Gauge({
      name: 'runcap_live_reservations',
      help: 'Reservations held by this instance and not yet settled.',
      registers,
    }),
    backgroundTracked: new Gauge({
      name: 'runcap_background_tracked',
      help: 'Background responses this instance is polling for their outcome (their holds stay until then).',
      registers,
    }),
    activeRuns: new Gauge({
      name: 'runcap_active_runs',
      help: 'Runs used within their idle TTL (sampled from the ledger).',
      registers,
    }),
    runUtilization: new LabelSetHistogram({
      name: 'runcap_run_budget_utilization_ratio',
      help: "A run's committed+reserved spend over its ceiling, observed when a call is admitted (after its hold).",
      buckets: [0.1, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95, 1, 1.1],
      registers,
    }),
    failOpen: new LabelSetCounter({
      name: 'runcap_fail_open_total',
      help: 'Calls let through without a hold because the ledger was unreachable.',
      labelNames: ['reason'] as const,
      registers,
    }),
    ledgerUnavailable: new LabelSetCounter({
      name: 'runcap_ledger_unavailable_total',
      help: 'Calls refused with 503 ledger_unavailable.',
      registers,
    }),
    priceUnknown: new LabelSetCounter({
      name: 'runcap_price_unknown_total',
      help: 'Calls refused because the model has no price.',
      registers,
    }),
    velocityThrottles: new LabelSetCounter({
      name: 'runcap_velocity_throttles_total',
      help: 'Calls refused with 429 run_velocity_exceeded, by whose window was full (run, or parent_run for an ancestor).',
      labelNames: ['scope', 'endpoint'] as const,
      registers,
    }),
    velocityRetryAfter: new LabelSetHistogram({
      name: 'runcap_velocity_retry_after_seconds',
      help: 'How long a throttled call was told to wait until its hold fits the per-minute limit.',
      buckets: [1, 2, 5, 10, 20, 30, 45, 60, 61],
      registers,
    }),
    loopBlocks: new LabelSetCounter({
      name: 'runcap_loop_blocks_total',
      help: 'Calls refused with run_loop_detected: the run repeated its newest step more than max_repeated_steps times.',
      labelNames: ['endpoint'] as const,
      registers,
    }),
    parentRunBlocks: new LabelSetCounter({
      name: 'runcap_parent_run_blocks_total',
      help: "Calls of a sub-agent run refused because an ancestor run's ceiling did not fit (parent_run_ceiling_reached).",
      labelNames: ['endpoint'] as const,
      registers,
    }),
    runLimitChanges: new LabelSetCounter({
      name: 'runcap_run_limit_changes_total',
      help: 'Run ceilings changed with PATCH /budget/runs/{id}, by direction and by whom (owner or admin).',
      labelNames: ['direction', 'by'] as const,
      registers,
    }),
    streamsCut: new LabelSetCounter({
      name: 'runcap_streams_cut_total',
      help: 'Streams that ended without provider usage and were committed from an estimate.',
      labelNames: ['endpoint', 'reason'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
