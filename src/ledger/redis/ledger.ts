// The Ledger on Redis (docs/design.md §3.4): each operation is one Lua script on the tenant's slot
// (lua/*.lua via scripts.ts), so a reserve is atomic across all its scopes and every transition is
// conditional on the stored state. Time comes from Redis TIME unless a test clock is set.
// This file validates input, routes calls and shapes replies (the reserve's: reserve-script.ts);
// the rules live in Lua and ../scope-rules.ts. Knows nothing of HTTP.
import { guardedRedis } from './client.js';
import { tenantKeys } from './keys.js';
import { asArray, asInteger, throwIfScriptError, toFields, toReservation, withChanges } from './reply.js';
import { runScript, SCRIPTS, type LedgerScript, type RedisClient } from './scripts.js';
import type { TenantIndex } from './tenant-index.js';
import { createHolds, reserveArgs, shapeReserve, viewsFrom } from './reserve-script.js';
import type { AlertThresholds } from '../records.js';
import type {
  ExpiredReservation,
  Ledger,
  Reservation,
  ReserveOutcome,
  ReserveRequest,
  SettleResult,
} from '../types.js';
import { LedgerError } from '../types.js';
import { assertAmountMicros, assertDurationMs, assertReserveRequest, assertScopeSpecs } from '../validate.js';

export interface RedisLedgerOptions {
  readonly client: RedisClient;
  readonly prefix: string;
  readonly index: TenantIndex;
  /** Tests only: a fake "now" passed to every script instead of Redis TIME. */
  readonly clockOverride: (() => number) | null;
  /** A live reservation expires once expiresAt + skewToleranceMs <= now. */
  readonly skewToleranceMs: number;
  /** How long settled reservations (and their attribution) are kept. */
  readonly retentionMs: number;
  readonly close: () => Promise<void>;
  /** Threshold alerts per tenant, in basis points (checked by the commit and expire scripts). */
  readonly alertThresholds: AlertThresholds;
}

const EXPIRE_BATCH = 256;
const EXPIRE_CONCURRENCY = 8;
/** The id -> tenant entry outlives its reservation hash by this much. */
const INDEX_MARGIN_MS = 86_400_000;

export function createRedisLedger(options: RedisLedgerOptions): Ledger {
  const { client, prefix, index, clockOverride, skewToleranceMs, retentionMs } = options;
  const holds = createHolds();
  const nowArg = (): string => (clockOverride === null ? '' : String(Math.floor(clockOverride())));
  const localNow = (): number => (clockOverride === null ? Date.now() : clockOverride());

  /**
   * On a standalone server the reserve script claims the id -> tenant entry itself, with the hold
   * (KEYS[4]): one command, and an id another tenant holds writes nothing. On Cluster the entry is
   * in another slot, so the claim goes out with the reserve script, not before it (one round trip,
   * not two). The script may therefore have written a hold under an id the claim then finds taken by
   * another tenant, or whose claim failed: that hold is released again on this tenant's slot
   * before the reserve fails, so the extra hold is transient and no hold is ever missing.
   */
  const claimsInScript = !client.isCluster;
  const reserve = async (request: ReserveRequest): Promise<ReserveOutcome> => {
    assertReserveRequest(request, localNow());
    const id = request.reservationId;
    const keys = tenantKeys(prefix, request.tenant);
    const scriptKeys = [keys.reservation(id), keys.live, keys.idempotency(request.idempotencyKey ?? '')];
    if (claimsInScript) scriptKeys.push(index.key(id));
    const [claimed, scripted, remembered] = await Promise.allSettled([
      claimsInScript ? 'script' : index.claim(id, request.tenant, request.ttlMs + retentionMs + INDEX_MARGIN_MS),
      runScript(client, SCRIPTS.reserve, scriptKeys, reserveArgs(request, keys.base, nowArg(), retentionMs)),
      index.remember(request.tenant),
    ]);
    const claim = claimed.status === 'fulfilled' ? claimed.value : null;
    if (scripted.status === 'rejected') {
      // The script may have run: a claimed entry stays, so a release by id still finds the hold.
      throw scripted.reason;
    }
    const reply = asArray(scripted.value, 'reserve reply');
    // 'reserved' is the one status under which the script wrote a hold with this request's id.
    const wroteId = reply[0] === 'reserved';
    if (claim === null || claim === 'other') {
      if (wroteId) await undoReserve(request.tenant, id);
      if (claim === null) throw claimed.status === 'rejected' ? claimed.reason : new Error('claim lost');
      throw new LedgerError('invalid_transition', `reservation id ${id} is already used (by another tenant)`);
    }
    if (remembered.status === 'rejected') {
      if (wroteId) await undoReserve(request.tenant, id);
      throw remembered.reason;
    }
    let outcome: ReserveOutcome;
    try {
      if (reply[0] === 'run_changed') {
        throw new LedgerError('run_changed', `run ${request.runCheck?.runId ?? ''} changed since it was opened`);
      }
      throwIfScriptError(reply);
      outcome = shapeReserve(request, reply);
    } catch (error) {
      if (claim === 'claimed' && error instanceof LedgerError) await index.forget(id);
      throw error;
    }
    const wroteOwn = outcome.kind === 'reserved' && outcome.reservation.id === id;
    if (claim === 'claimed' && !wroteOwn) await index.forget(id);
    // The script claimed the entry for this tenant (or found it this tenant's) as it wrote the hold.
    if (claim === 'script' && wroteId) index.note(id, request.tenant);
    if (outcome.kind === 'reserved' && !outcome.reused) holds.put(outcome.reservation);
    return outcome;
  };

  /** Runs a transition script on the reservation's tenant slot. */
  const thresholdArgs = (tenant: string): string[] => {
    const bps = options.alertThresholds(tenant);
    return [String(bps.length), ...bps.map(String)];
  };

  const transition = async (
    id: string,
    script: LedgerScript,
    extra: readonly string[],
    tail?: (tenant: string) => readonly string[],
    known?: Reservation,
  ) => {
    const tenant = await index.lookup(id);
    if (tenant === null) throw new LedgerError('reservation_not_found', `reservation ${id} does not exist`);
    return transitionOn(tenant, id, script, extra, tail, known);
  };

  /** `known`: the reservation as this process made it, when the script replies briefly (commit.lua). */
  const transitionOn = async (
    tenant: string,
    id: string,
    script: LedgerScript,
    extra: readonly string[],
    tail?: (tenant: string) => readonly string[],
    known?: Reservation,
  ) => {
    const keys = tenantKeys(prefix, tenant);
    const reply = asArray(
      await runScript(
        client,
        script,
        [keys.reservation(id), keys.live, keys.settled],
        [keys.base, nowArg(), id, String(retentionMs), ...extra, ...(tail?.(tenant) ?? [])],
      ),
      `${script.name} reply`,
    );
    throwIfScriptError(reply);
    const result: SettleResult = {
      changed: reply[0] === 'changed',
      reservation:
        known === undefined ? toReservation(toFields(reply[2], 'reservation')) : withChanges(known, reply[2]),
    };
    return { result, nowMs: asInteger(reply[1], 'now') };
  };

  /** Releases a hold the reserve script just wrote under an id this reserve cannot keep. */
  const undoReserve = async (tenant: string, id: string): Promise<void> => {
    await transitionOn(tenant, id, SCRIPTS.release, []);
  };

  /** After an expiry moved out, the id -> tenant entry must outlive the hold plus retention. */
  const keepIndexed = async ({ result, nowMs }: { result: SettleResult; nowMs: number }): Promise<SettleResult> => {
    if (result.changed) {
      await index.keepFor(
        result.reservation.id,
        result.reservation.expiresAtMs - nowMs + retentionMs + INDEX_MARGIN_MS,
      );
    }
    return result;
  };

  const expireTenant = async (tenant: string, explicitNow: string): Promise<ExpiredReservation[]> => {
    const keys = tenantKeys(prefix, tenant);
    const expired: ExpiredReservation[] = [];
    for (;;) {
      const args = [
        keys.base,
        explicitNow,
        String(skewToleranceMs),
        String(EXPIRE_BATCH),
        String(retentionMs),
        ...thresholdArgs(tenant),
      ];
      const reply = asArray(await runScript(client, SCRIPTS.expire, [keys.live, keys.settled], args), 'expire reply');
      for (const entry of asArray(reply[2], 'expired list')) {
        const [charged, fields] = asArray(entry, 'expired entry');
        expired.push({ charged: charged === '1', reservation: toReservation(toFields(fields, 'reservation')) });
      }
      if (asInteger(reply[1], 'scanned') < EXPIRE_BATCH) return expired;
    }
  };

  return {
    backend: 'redis',
    checksRuns: true,
    reserve: (request) => guardedRedis(() => reserve(request)),
    markForwarded: (id, extendTtlMs) =>
      guardedRedis(async () => {
        if (extendTtlMs !== undefined) assertDurationMs(extendTtlMs, 'extendTtlMs');
        return keepIndexed(
          await transition(id, SCRIPTS.forward, [extendTtlMs === undefined ? '' : String(extendTtlMs)]),
        );
      }),
    extend: (id, ttlMs) =>
      guardedRedis(async () => {
        assertDurationMs(ttlMs);
        return keepIndexed(await transition(id, SCRIPTS.extend, [String(ttlMs)]));
      }),
    commit: (id, request) =>
      guardedRedis(async () => {
        assertAmountMicros(request.actualMicros, 'actualMicros');
        const tokens = request.tokens ?? null;
        const tokenArgs =
          tokens === null
            ? ['0']
            : [
                '1',
                ...[tokens.inputTokens, tokens.outputTokens, tokens.cachedInputTokens, tokens.reasoningTokens].map(
                  String,
                ),
              ];
        // A hold made here needs only the fields the commit changed back (the rest never changes).
        const known = holds.take(id);
        const brief = known === undefined ? '0' : '1';
        return (
          await transition(
            id,
            SCRIPTS.commit,
            [String(request.actualMicros), request.usageSource, ...tokenArgs],
            (tenant) => [...thresholdArgs(tenant), brief],
            known,
          )
        ).result;
      }),
    release: (id) =>
      guardedRedis(async () => {
        holds.take(id);
        return (await transition(id, SCRIPTS.release, [])).result;
      }),
    expireDue: (nowMs) =>
      guardedRedis(async () => {
        const explicitNow = nowMs === undefined ? nowArg() : String(Math.floor(nowMs));
        const tenants = [...(await index.tenants())];
        const expired: ExpiredReservation[] = [];
        const worker = async (): Promise<void> => {
          for (let tenant = tenants.shift(); tenant !== undefined; tenant = tenants.shift()) {
            expired.push(...(await expireTenant(tenant, explicitNow)));
          }
        };
        await Promise.all(Array.from({ length: EXPIRE_CONCURRENCY }, worker));
        return expired;
      }),
    getReservation: (id) =>
      guardedRedis(async () => {
        const tenant = await index.lookup(id);
        if (tenant === null) return null;
        const fields = toFields(
          await client.hgetall(tenantKeys(prefix, tenant).reservation(id)).then(flatten),
          'reservation',
        );
        return fields.size === 0 ? null : toReservation(fields);
      }),
    view: (tenant, specs) =>
      guardedRedis(async () => {
        assertScopeSpecs(specs, localNow());
        const keys = tenantKeys(prefix, tenant);
        const args = [
          keys.base,
          nowArg(),
          String(specs.length),
          ...specs.flatMap((spec) => [spec.type, spec.id, spec.window]),
        ];
        const reply = asArray(await runScript(client, SCRIPTS.view, [keys.live], args), 'view reply');
        return viewsFrom(specs, reply[1], asInteger(reply[0], 'now'));
      }),
    ping: () =>
      guardedRedis(async () => {
        await client.ping();
      }),
    close: () => guardedRedis(options.close),
  };
}

/** ioredis returns HGETALL as an object; the reply decoders take the flat list. */
function flatten(record: Record<string, string>): string[] {
  return Object.entries(record).flat();
}
