// Sends an admitted call upstream and returns the client's Response: provider bytes
// unchanged (a stream relayed as it arrives), X-Budget-* headers added, and exactly
// one settlement on every path (success, upstream error, cut stream, client abort).
import type { UpstreamConfig } from '../config/types.js';
import { RuncapError } from '../errors.js';
import type { EndpointAdapter, ParsedRequest } from '../proxy/adapter.js';
import type { ClientSignal } from '../proxy/client-gone.js';
import type { HeaderReader } from '../proxy/request-headers.js';
import { relayStream, type StreamEnd } from '../proxy/relay.js';
import { clientHeaders, upstreamHeaders } from '../proxy/upstream.js';
import { H } from '../headers.js';
import type { Principal } from '../principal.js';
import type { PipelineDeps } from './deps.js';
import type { SettleOutcome } from './settle-call.js';

export interface ForwardInput {
  readonly adapter: EndpointAdapter;
  readonly request: ParsedRequest;
  /** The client's body bytes, forwarded as they are when nothing changes. */
  readonly rawBody: Uint8Array;
  /** The body to send instead, when the model or cap changed or usage is injected. */
  readonly preparedBody: Record<string, unknown> | null;
  readonly clientHeaders: HeaderReader;
  /** The client's query string (with its `?`, or empty), forwarded as it is (`?beta=true`). */
  readonly query?: string;
  /** Whose account the call uses (header policy) and the provider key to send; never stored. */
  readonly principal: Principal;
  readonly upstream: UpstreamConfig;
  readonly budgetHeaders: Record<string, string>;
  readonly clientSignal: ClientSignal;
  readonly abortClient?: (() => void) | undefined;
  /** The hold to extend while a stream flows; null when there is none (fail open). */
  readonly reservationId: string | null;
  readonly settle: (outcome: SettleOutcome) => Promise<void>;
}

export async function forward(deps: PipelineDeps, input: ForwardInput): Promise<Response> {
  const endpoint = input.adapter.name;
  // The client's own signal aborts the upstream request when the client goes away.
  const clientGone = (): boolean => input.clientSignal.aborted;
  if (clientGone()) {
    // The client left before anything was sent: nothing to pay for.
    await input.settle({ kind: 'release', reason: 'client_gone_before_send' });
    throw new RuncapError('upstream_unavailable', 'The client disconnected before the call was forwarded.').withHeaders(
      input.budgetHeaders,
    );
  }

  const startedNs = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - startedNs) / 1e9;
  let response;
  try {
    response = await deps.upstream.send({
      url: input.upstream.baseUrl + (input.adapter.upstreamPath ?? input.adapter.path) + (input.query ?? ''),
      method: 'POST',
      headers: upstreamHeaders(input.clientHeaders, input.principal, input.upstream.provider, 'application/json'),
      body: input.preparedBody ? JSON.stringify(input.preparedBody) : input.rawBody,
      signal: input.clientSignal,
      // A non-streaming answer arrives only when the whole generation is done (a reasoning
      // model's routinely takes minutes): its own, longer timeout (docs/security.md "Timeouts").
      headersTimeoutMs: input.request.stream ? input.upstream.headersTimeoutMs : input.upstream.responseTimeoutMs,
      bodyTimeoutMs: input.upstream.bodyTimeoutMs,
    });
  } catch (error) {
    await input.settle(sendFailureOutcome(error, clientGone(), input.request.stream));
    deps.metrics.upstreamSeconds.observe({ endpoint, status: 'error' }, elapsed());
    throw new RuncapError(
      'upstream_unavailable',
      `The upstream provider could not be reached: ${(error as Error).message}`,
    ).withHeaders(input.budgetHeaders);
  }
  const status = String(response.statusCode);
  deps.keyVerdicts.record(input.principal, response.statusCode);
  deps.metrics.upstreamTtfbSeconds.observe({ endpoint, status }, elapsed());
  const headers = clientHeaders(response.headers, input.principal.kind);
  // runcap's own headers win over any of the same name from the provider.
  Object.assign(headers, input.budgetHeaders);
  const finish = (): void => {
    deps.metrics.upstreamSeconds.observe({ endpoint, status }, elapsed());
  };

  const isStream = input.request.stream && String(response.headers['content-type'] ?? '').includes('text/event-stream');
  if (response.statusCode >= 200 && response.statusCode < 300 && isStream) {
    let lastExtendMs = deps.clock();
    const extendEveryMs = Math.max(1_000, Math.floor(deps.config.reservationTtlMs / 4));
    const meter = input.adapter.meterStream(input.request);
    const body = relayStream({
      body: response.body,
      meter,
      abortUpstream: () => response.body.destroy(),
      ...(input.abortClient ? { abortClient: input.abortClient } : {}),
      onChunk: () => {
        const reservationId = input.reservationId;
        if (reservationId === null) return;
        const nowMs = deps.clock();
        if (nowMs - lastExtendMs < extendEveryMs) return;
        lastExtendMs = nowMs;
        deps.tasks.track(deps.store.ledger.extend(reservationId, deps.config.reservationTtlMs));
      },
      onEnd: async (ended: StreamEnd) => {
        finish();
        // An upstream body that broke because the client left is the client's abort.
        const end: StreamEnd = ended.kind === 'cut' && clientGone() ? { kind: 'client_abort' } : ended;
        const result = meter.result();
        if (input.request.background === true && result.usage === null) {
          // The provider goes on generating a background response whatever happened to this stream.
          const settled = followBackground(deps, input, result.responseId, end.kind);
          deps.tasks.track(settled);
          await settled;
          return;
        }
        const settled = input.settle(streamOutcome(end, result));
        deps.tasks.track(settled);
        await settled;
        if (end.kind !== 'complete')
          deps.metrics.streamsCut.inc({ endpoint, reason: end.kind === 'cut' ? 'upstream' : 'client_abort' });
      },
    });
    return new Response(body, { status: response.statusCode, headers });
  }

  let bytes: Buffer;
  try {
    bytes = Buffer.from(await response.body.arrayBuffer());
  } catch (error) {
    finish();
    // The provider answered but the body was lost (client abort or cut): charge the hold.
    await input.settle({ kind: 'full_hold', reason: clientGone() ? 'client_abort' : 'upstream_body_lost' });
    throw new RuncapError(
      'upstream_unavailable',
      `The upstream response was cut: ${(error as Error).message}`,
    ).withHeaders(input.budgetHeaders);
  }
  finish();
  if (response.statusCode >= 400) {
    await input.settle({ kind: 'release', reason: `upstream_status_${response.statusCode}` });
  } else {
    const outcome = jsonOutcome(input.adapter, bytes);
    if (input.request.background === true && outcome.kind !== 'usage') {
      // Accepted, not done (`queued` / `in_progress`): the answer carries no usage yet.
      await followBackground(deps, input, outcome.responseId, 'queued');
    } else await input.settle(outcome);
  }
  return new Response(bytes, { status: response.statusCode, headers });
}

/**
 * A background response that has not reported its usage: the hold stays, and the tracker
 * settles it when the response ends. When it cannot be tracked (no id, no hold, tracker full
 * or stopping) the full hold is charged now: the provider bills at most that (its cap).
 */
function followBackground(
  deps: PipelineDeps,
  input: ForwardInput,
  responseId: string | null,
  stage: string,
): Promise<void> {
  if (
    responseId !== null &&
    input.reservationId !== null &&
    deps.background.track({
      responseId,
      reservationId: input.reservationId,
      decisionId: input.budgetHeaders[H.decisionId] ?? '',
      upstream: input.upstream,
      principal: input.principal,
      settle: input.settle,
    })
  ) {
    deps.logger.info({ response_id: responseId, stage }, 'background response tracked until it ends');
    return Promise.resolve();
  }
  return input.settle({
    kind: 'full_hold',
    reason: responseId === null ? 'background_without_id' : 'background_untracked',
  });
}

/** Errors that happen before a connection exists, so the request never reached the provider. */
const CONNECT_ERRORS: ReadonlySet<unknown> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * No response arrived. A connection that was never made never reached the model: release.
 * Anything later (a reset or timeout after the request was sent) may have been billed, and
 * nothing tells how much: charge the full hold (flagged estimated). A streaming client that
 * gave up before the first byte aborts the generation too: at least the input was billed.
 */
function sendFailureOutcome(error: unknown, clientAborted: boolean, stream: boolean): SettleOutcome {
  if (clientAborted) {
    return stream
      ? { kind: 'estimated', outputText: '', reason: 'client_abort_before_response' }
      : { kind: 'full_hold', reason: 'client_abort_before_response' };
  }
  const code =
    (error as { code?: unknown; cause?: { code?: unknown } }).code ??
    (error as { cause?: { code?: unknown } }).cause?.code;
  if (CONNECT_ERRORS.has(code)) return { kind: 'release', reason: 'upstream_unreachable' };
  return { kind: 'full_hold', reason: `upstream_error_${String(code ?? 'unknown')}` };
}

function streamOutcome(
  end: StreamEnd,
  result: ReturnType<ReturnType<EndpointAdapter['meterStream']>['result']>,
): SettleOutcome {
  const hostedCalls = result.hostedCalls;
  if (result.usage) return { kind: 'usage', usage: result.usage, responseId: result.responseId, hostedCalls };
  return {
    kind: 'estimated',
    outputText: result.outputText,
    reason: end.kind === 'complete' ? 'stream_without_usage' : end.kind,
    hostedCalls,
    inputUsage: result.inputUsage ?? null,
  };
}

function jsonOutcome(
  adapter: EndpointAdapter,
  bytes: Buffer,
): (SettleOutcome & { kind: 'usage' }) | (SettleOutcome & { kind: 'full_hold'; responseId: string | null }) {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { kind: 'full_hold', reason: 'unparseable_response', responseId: null };
  }
  const usage = adapter.usageFromJson(json);
  const responseId = adapter.responseIdFromJson?.(json) ?? null;
  if (!usage) return { kind: 'full_hold', reason: 'response_without_usage', responseId };
  return { kind: 'usage', usage, responseId, hostedCalls: adapter.hostedCallsFromJson?.(json) ?? {} };
}

export function upstreamOf(deps: PipelineDeps, name: string): UpstreamConfig {
  const upstream = deps.config.upstreams.get(name);
  if (!upstream) throw new Error(`no upstream named "${name}"`);
  return upstream;
}
