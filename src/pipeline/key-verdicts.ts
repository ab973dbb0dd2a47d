// What the provider said about passthrough keys (docs/security.md "Passthrough"). In
// passthrough any bearer string is a principal, so runcap lets the provider tell real keys
// from junk: a key the provider just rejected is refused before anything is written, and the
// budget API (which never reaches the provider otherwise) writes nothing for a key the
// provider has not accepted, checking an unknown one once with a free GET {upstream}/models.
// In memory only, per instance, keyed by key id (a hash): never a key.
import { LRUCache } from 'lru-cache';
import type { UpstreamConfig } from '../config/types.js';
import { RuncapError } from '../errors.js';
import type { Principal } from '../principal.js';
import { upstreamHeaders, type UpstreamClient } from '../proxy/upstream.js';

const MAX_KEYS = 100_000;
const ACCEPTED_TTL_MS = 60 * 60_000;
const REJECTED_TTL_MS = 10 * 60_000;

type Verdict = 'accepted' | 'rejected';

export interface KeyVerdicts {
  /**
   * The provider answered a call made with this passthrough key: 2xx accepts it, 401 rejects
   * it (403 does not: it refuses one model or region to a key that is otherwise valid).
   */
  record(principal: Principal, statusCode: number): void;
  /** Throws 401 when the provider rejected this passthrough key within the last minutes. */
  refuseRejected(principal: Principal): void;
  /**
   * Before the budget API writes for a passthrough principal: its key must be one the
   * provider accepted; an unknown one is checked now (one free GET per key and TTL).
   */
  requireAccepted(principal: Principal, upstream: UpstreamConfig): Promise<void>;
}

export function createKeyVerdicts(upstream: UpstreamClient): KeyVerdicts {
  const verdicts = new LRUCache<string, Verdict>({ max: MAX_KEYS });
  const checking = new Map<string, Promise<Verdict>>();
  const remember = (keyId: string, verdict: Verdict): void => {
    verdicts.set(keyId, verdict, { ttl: verdict === 'accepted' ? ACCEPTED_TTL_MS : REJECTED_TTL_MS });
  };
  const rejected = (): RuncapError =>
    new RuncapError(
      'unauthenticated',
      'The provider rejected this key; runcap accepts it again once the provider does.',
    );

  const check = async (principal: Principal, config: UpstreamConfig): Promise<Verdict> => {
    const response = await upstream.send({
      url: `${config.baseUrl}/models`,
      method: 'GET',
      headers: upstreamHeaders(new Headers({ accept: 'application/json' }), principal),
      body: null,
      signal: AbortSignal.timeout(config.headersTimeoutMs + config.bodyTimeoutMs),
      headersTimeoutMs: config.headersTimeoutMs,
      bodyTimeoutMs: config.bodyTimeoutMs,
    });
    await response.body.dump();
    if (response.statusCode === 401) return 'rejected';
    if (response.statusCode >= 200 && response.statusCode < 300) return 'accepted';
    throw new RuncapError(
      'upstream_unavailable',
      `runcap could not check this key with the provider (it answered ${response.statusCode}); retry later.`,
    );
  };

  return {
    record(principal, statusCode) {
      if (principal.kind !== 'passthrough') return;
      if (statusCode === 401) remember(principal.keyId, 'rejected');
      else if (statusCode >= 200 && statusCode < 300 && verdicts.get(principal.keyId) !== 'accepted')
        remember(principal.keyId, 'accepted');
    },
    refuseRejected(principal) {
      if (principal.kind === 'passthrough' && verdicts.get(principal.keyId) === 'rejected') throw rejected();
    },
    async requireAccepted(principal, config) {
      if (principal.kind !== 'passthrough') return;
      let verdict = verdicts.get(principal.keyId);
      if (verdict === undefined) {
        let pending = checking.get(principal.keyId);
        if (pending === undefined) {
          pending = check(principal, config)
            .then((result) => {
              remember(principal.keyId, result);
              return result;
            })
            .finally(() => checking.delete(principal.keyId));
          checking.set(principal.keyId, pending);
        }
        verdict = await pending.catch((error: unknown) => {
          if (error instanceof RuncapError) throw error;
          throw new RuncapError(
            'upstream_unavailable',
            `runcap could not check this key with the provider: ${(error as Error).message}`,
          );
        });
      }
      if (verdict === 'rejected') throw rejected();
    },
  };
}
