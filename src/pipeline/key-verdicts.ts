// What the provider said about passthrough keys (docs/security.md "Passthrough"). In
// passthrough any bearer string is a principal, so runcap lets the provider tell real keys
// from junk: a key the provider just rejected is refused before anything is written, and the
// budget API (which never reaches the provider otherwise) writes nothing for a key the
// provider has not accepted, checking an unknown one once with a free GET of the provider's models listing.
// In memory only, per instance, keyed by upstream and key id (a hash), never a key: one provider's
// verdict says nothing of another's (a key Anthropic rejects may be a valid OpenAI key).
import { LRUCache } from 'lru-cache';
import type { UpstreamConfig } from '../config/types.js';
import { RuncapError } from '../errors.js';
import type { Principal } from '../principal.js';
import { upstreamHeaders, type UpstreamClient } from '../proxy/upstream.js';

const MAX_KEYS = 100_000;
/** The API version sent with the key check to Anthropic (its models listing needs one). */
const ANTHROPIC_VERSION = '2023-06-01';
const ACCEPTED_TTL_MS = 60 * 60_000;
const REJECTED_TTL_MS = 10 * 60_000;

type Verdict = 'accepted' | 'rejected';

export interface KeyVerdicts {
  /**
   * The provider answered a call made with this passthrough key: 2xx accepts it, 401 rejects
   * it (403 does not: it refuses one model or region to a key that is otherwise valid).
   */
  record(principal: Principal, statusCode: number): void;
  /** Throws 401 when the principal's upstream rejected this passthrough key within the last minutes. */
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
  const remember = (slot: string, verdict: Verdict): void => {
    verdicts.set(slot, verdict, { ttl: verdict === 'accepted' ? ACCEPTED_TTL_MS : REJECTED_TTL_MS });
  };
  /** Where a principal's verdict lives: per upstream (the principal's, or the one checked). */
  const slotOf = (principal: Principal, upstream: string = principal.upstream): string =>
    `${upstream}\u0000${principal.keyId}`;
  const rejected = (): RuncapError =>
    new RuncapError(
      'unauthenticated',
      'The provider rejected this key; runcap accepts it again once the provider does.',
    );

  const check = async (principal: Principal, config: UpstreamConfig): Promise<Verdict> => {
    // The free models listing of each provider: OpenAI's base URL ends in /v1, Anthropic's does not.
    const anthropic = config.provider === 'anthropic';
    const headers = new Headers({ accept: 'application/json' });
    if (anthropic) headers.set('anthropic-version', ANTHROPIC_VERSION);
    const response = await upstream.send({
      url: `${config.baseUrl}${anthropic ? '/v1/models' : '/models'}`,
      method: 'GET',
      headers: upstreamHeaders(headers, principal, config.provider),
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
      const slot = slotOf(principal);
      if (statusCode === 401) remember(slot, 'rejected');
      else if (statusCode >= 200 && statusCode < 300 && verdicts.get(slot) !== 'accepted') remember(slot, 'accepted');
    },
    refuseRejected(principal) {
      if (principal.kind === 'passthrough' && verdicts.get(slotOf(principal)) === 'rejected') throw rejected();
    },
    async requireAccepted(principal, config) {
      if (principal.kind !== 'passthrough') return;
      const slot = slotOf(principal, config.name);
      let verdict = verdicts.get(slot);
      if (verdict === undefined) {
        let pending = checking.get(slot);
        if (pending === undefined) {
          pending = check(principal, config)
            .then((result) => {
              remember(slot, result);
              return result;
            })
            .finally(() => checking.delete(slot));
          checking.set(slot, pending);
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
