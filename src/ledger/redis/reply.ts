// Decoding of script replies: checked arrays and strings, flat HGETALL field lists, and
// the reservation hash -> Reservation mapping (the Redis twin of ../sqlite/rows.ts
// toReservation). No I/O.
import { LedgerError } from '../types.js';
import type {
  LedgerErrorCode,
  Reservation,
  ReservationState,
  ReservedScope,
  ScopeType,
  UsageSource,
} from '../types.js';
import { SCOPE_TYPES } from '../windows.js';

export function asArray(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new Error(`redis ledger: ${what} is not an array`);
  return value;
}

export function asString(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new Error(`redis ledger: ${what} is not a string`);
}

/** A stored integer (micros, ms, tokens): exact or an error, never a rounded float. */
export function asInteger(value: unknown, what: string): number {
  const text = asString(value, what);
  const parsed = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(parsed))
    throw new Error(`redis ledger: ${what} is not a safe integer: ${text}`);
  return parsed;
}

export type Fields = ReadonlyMap<string, string>;

/** HGETALL's flat [field, value, ...] list as a map. */
export function toFields(value: unknown, what: string): Fields {
  const flat = asArray(value, what);
  const fields = new Map<string, string>();
  for (let index = 0; index + 1 < flat.length; index += 2) {
    fields.set(asString(flat[index], what), asString(flat[index + 1], what));
  }
  return fields;
}

/** Throws the LedgerError a script reported as {'error', code, message}. */
export function throwIfScriptError(reply: readonly unknown[]): void {
  if (reply[0] !== 'error') return;
  const code = asString(reply[1], 'error code');
  const codes: readonly LedgerErrorCode[] = [
    'reservation_not_found',
    'invalid_transition',
    'invalid_amount',
    'invalid_scope',
  ];
  const known = codes.find((candidate) => candidate === code);
  if (known === undefined) throw new Error(`redis ledger: unknown script error ${code}`);
  throw new LedgerError(known, asString(reply[2], 'error message'));
}

function required(fields: Fields, name: string): string {
  const value = fields.get(name);
  if (value === undefined) throw new Error(`redis ledger: reservation field ${name} is missing`);
  return value;
}

function optionalInteger(fields: Fields, name: string): number | null {
  const value = fields.get(name);
  return value === undefined ? null : asInteger(value, name);
}

const STATES: readonly ReservationState[] = ['reserved', 'forwarded', 'committed', 'released', 'expired', 'reconciled'];
const SOURCES: readonly UsageSource[] = ['provider', 'estimated', 'expired', 'caller'];

function oneOf<T extends string>(allowed: readonly T[], value: string, what: string): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw new Error(`redis ledger: bad ${what} ${value}`);
  return found;
}

/** Token counts are stored as given (SQLite keeps whatever number it is handed, too). */
function optionalNumber(fields: Fields, name: string): number | null {
  const value = fields.get(name);
  return value === undefined ? null : Number(value);
}

export function toReservation(fields: Fields): Reservation {
  const scopes: ReservedScope[] = [];
  const count = asInteger(required(fields, 'sc'), 'sc');
  for (let index = 1; index <= count; index += 1) {
    const type: ScopeType = oneOf(SCOPE_TYPES, required(fields, `st${index}`), 'scope type');
    scopes.push({
      key: required(fields, `sk${index}`),
      type,
      id: required(fields, `si${index}`),
      held: fields.get(`sh${index}`) === '1',
    });
  }
  return {
    id: required(fields, 'id'),
    decisionId: required(fields, 'decision_id'),
    tenant: required(fields, 'tenant'),
    scopes,
    amountMicros: asInteger(required(fields, 'amount'), 'amount'),
    model: required(fields, 'model'),
    priceTableVersion: required(fields, 'ptv'),
    idempotencyKey: fields.get('idem') ?? null,
    attribution: {
      runId: fields.get('run_id') ?? null,
      keyId: required(fields, 'key_id'),
      userId: fields.get('user_id') ?? null,
      teamId: fields.get('team_id') ?? null,
      feature: fields.get('feature') ?? null,
      endpoint: required(fields, 'endpoint'),
    },
    createdAtMs: asInteger(required(fields, 'created'), 'created'),
    ...changing(fields),
  };
}

function changing(
  fields: Fields,
): Pick<
  Reservation,
  'state' | 'expiresAtMs' | 'settledAtMs' | 'actualMicros' | 'overrunMicros' | 'usageSource' | 'tokens'
> {
  const usage = fields.get('usage');
  const inputTokens = optionalNumber(fields, 'tin');
  return {
    state: oneOf(STATES, required(fields, 'state'), 'state'),
    expiresAtMs: asInteger(required(fields, 'expires'), 'expires'),
    settledAtMs: optionalInteger(fields, 'settled'),
    actualMicros: optionalInteger(fields, 'actual'),
    overrunMicros: asInteger(required(fields, 'overrun'), 'overrun'),
    usageSource: usage === undefined ? null : oneOf(SOURCES, usage, 'usage source'),
    tokens:
      inputTokens === null
        ? null
        : {
            inputTokens,
            outputTokens: optionalNumber(fields, 'tout') ?? 0,
            cachedInputTokens: optionalNumber(fields, 'tcached') ?? 0,
            reasoningTokens: optionalNumber(fields, 'treason') ?? 0,
          },
  };
}

const optionalText = (value: unknown, what: string): string | null =>
  value === null || value === undefined ? null : asString(value, what);

/**
 * A reservation this process made (`known`: what never changes after a reserve) with the values
 * values a brief reply carries: state, expires, settled, actual, overrun, usage, tin, tout, tcached,
 * treason (commit.lua's HMGET order; null where a field is absent). Decoded by
 * position and built field by field (a `{ ...known, ... }` spread costs microseconds on Node 20).
 */
export function withChanges(known: Reservation, reply: unknown): Reservation {
  const [state, expires, settled, actual, overrun, usage, tin, tout, tcached, treason] = asArray(
    reply,
    'brief reservation',
  );
  const number = (value: unknown, what: string): number | null => {
    const text = optionalText(value, what);
    return text === null ? null : Number(text);
  };
  const usageText = optionalText(usage, 'usage');
  const settledText = optionalText(settled, 'settled');
  const actualText = optionalText(actual, 'actual');
  const inputTokens = number(tin, 'tin');
  return {
    id: known.id,
    decisionId: known.decisionId,
    tenant: known.tenant,
    scopes: known.scopes,
    amountMicros: known.amountMicros,
    model: known.model,
    priceTableVersion: known.priceTableVersion,
    idempotencyKey: known.idempotencyKey,
    attribution: known.attribution,
    createdAtMs: known.createdAtMs,
    state: oneOf(STATES, asString(state ?? null, 'state'), 'state'),
    expiresAtMs: asInteger(expires ?? null, 'expires'),
    settledAtMs: settledText === null ? null : asInteger(settledText, 'settled'),
    actualMicros: actualText === null ? null : asInteger(actualText, 'actual'),
    overrunMicros: asInteger(overrun ?? null, 'overrun'),
    usageSource: usageText === null ? null : oneOf(SOURCES, usageText, 'usage source'),
    tokens:
      inputTokens === null
        ? null
        : {
            inputTokens,
            outputTokens: number(tout, 'tout') ?? 0,
            cachedInputTokens: number(tcached, 'tcached') ?? 0,
            reasoningTokens: number(treason, 'treason') ?? 0,
          },
  };
}
