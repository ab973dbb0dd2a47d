// Input checks shared by every ledger backend: amounts, durations, scope specs, whole
// reserve requests, and stored run tags read back. Pure; throws LedgerError so a bad
// call writes nothing and fails the same everywhere.
import { LedgerError } from './types.js';
import type { EnforcementMode, ReserveRequest, ScopeSpec } from './types.js';
import { SCOPE_TYPES, SCOPE_WINDOWS, scopeKey } from './windows.js';

const MODES: readonly EnforcementMode[] = ['advisory_estimate', 'soft_gate', 'hard_gate', 'actuals_only'];

function isMicros(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A money amount: a non-negative safe integer of micro-USD. */
export function assertAmountMicros(value: unknown, what = 'amountMicros'): asserts value is number {
  if (!isMicros(value)) {
    throw new LedgerError(
      'invalid_amount',
      `${what} must be a non-negative safe integer of micro-USD, got ${String(value)}`,
    );
  }
}

/** A duration: a positive safe integer of milliseconds (reported as invalid_amount). */
export function assertDurationMs(value: unknown, what = 'ttlMs'): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new LedgerError(
      'invalid_amount',
      `${what} must be a positive safe integer of milliseconds, got ${String(value)}`,
    );
  }
}

/**
 * Scope specs of one reserve/view call: at least one, each well-formed, and no two
 * naming the same scope bucket (a hold must not be counted twice on one counter).
 */
export function assertScopeSpecs(specs: readonly ScopeSpec[], nowMs: number): void {
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new LedgerError('invalid_scope', 'at least one scope is required');
  }
  const seen = new Set<string>();
  for (const spec of specs) {
    if (!SCOPE_TYPES.includes(spec.type))
      throw new LedgerError('invalid_scope', `unknown scope type "${String(spec.type)}"`);
    if (!SCOPE_WINDOWS.includes(spec.window)) {
      throw new LedgerError('invalid_scope', `unknown window "${String(spec.window)}" for ${spec.type} scope`);
    }
    if (!MODES.includes(spec.mode))
      throw new LedgerError('invalid_scope', `unknown mode "${String(spec.mode)}" for ${spec.type} scope`);
    if (typeof spec.id !== 'string' || spec.id.length === 0) {
      throw new LedgerError('invalid_scope', `${spec.type} scope needs a non-empty id`);
    }
    if (spec.limitMicros !== null && !isMicros(spec.limitMicros)) {
      throw new LedgerError(
        'invalid_scope',
        `${spec.type} scope "${spec.id}" limitMicros must be null or a non-negative safe integer`,
      );
    }
    if (spec.marginMicros !== undefined && !isMicros(spec.marginMicros)) {
      throw new LedgerError(
        'invalid_scope',
        `${spec.type} scope "${spec.id}" marginMicros must be a non-negative safe integer`,
      );
    }
    const key = scopeKey(spec, nowMs);
    if (seen.has(key)) throw new LedgerError('invalid_scope', `scope ${key} is named twice`);
    seen.add(key);
  }
}

/** A whole reserve request: ids present, amount, TTL and scopes well-formed. */
export function assertReserveRequest(request: ReserveRequest, nowMs: number): void {
  for (const field of ['reservationId', 'decisionId', 'tenant', 'model', 'priceTableVersion'] as const) {
    if (typeof request[field] !== 'string' || request[field].length === 0) {
      throw new LedgerError('invalid_scope', `${field} must be a non-empty string`);
    }
  }
  assertAmountMicros(request.amountMicros);
  assertDurationMs(request.ttlMs);
  assertScopeSpecs(request.scopes, nowMs);
  assertBrakes(request);
}

/** The longest step hash a backend stores (a hex or base64 digest fits with room to spare). */
export const MAX_STEP_HASH_LENGTH = 128;

/** Brakes name a run scope of the request, a well-formed limit, hash and repeat count. */
function assertBrakes(request: ReserveRequest): void {
  const { velocity, loop } = request.brakes ?? {};
  if (velocity !== undefined && !isMicros(velocity.limitMicros)) {
    throw new LedgerError('invalid_scope', 'brakes.velocity.limitMicros must be a non-negative safe integer');
  }
  if (loop === undefined) return;
  if (!request.scopes.some((spec) => spec.type === 'run' && spec.id === loop.runId)) {
    throw new LedgerError(
      'invalid_scope',
      `brakes.loop.runId "${String(loop.runId)}" is not a run scope of the request`,
    );
  }
  if (typeof loop.stepHash !== 'string' || loop.stepHash.length === 0 || loop.stepHash.length > MAX_STEP_HASH_LENGTH) {
    throw new LedgerError('invalid_scope', `brakes.loop.stepHash must be 1-${MAX_STEP_HASH_LENGTH} characters`);
  }
  if (!Number.isSafeInteger(loop.maxRepeats) || loop.maxRepeats < 0) {
    throw new LedgerError('invalid_scope', 'brakes.loop.maxRepeats must be a non-negative integer');
  }
}

/** Run tags as stored (a JSON object); anything but string values is dropped. */
export function parseTags(text: string): Readonly<Record<string, string>> {
  const parsed: unknown = JSON.parse(text);
  const tags: Record<string, string> = {};
  if (typeof parsed === 'object' && parsed !== null) {
    for (const [name, value] of Object.entries(parsed)) {
      if (typeof value === 'string') tags[name] = value;
    }
  }
  return tags;
}
