// Remembers what each Responses API response was billed, so a follow-up turn that
// names it in `previous_response_id` is estimated with the whole chain's input (SPEC §8).
// In-process, bounded (LRU); an id it does not know is estimated conservatively by the caller.

export interface ChainTokens {
  /** Input tokens the provider billed for that response (its whole chain). */
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface ResponseChains {
  remember(tenant: string, responseId: string, tokens: ChainTokens): void;
  lookup(tenant: string, responseId: string): ChainTokens | null;
}

export function createResponseChains(maxEntries = 100_000): ResponseChains {
  const entries = new Map<string, ChainTokens>();
  return {
    remember(tenant, responseId, tokens) {
      const key = `${tenant}\u0000${responseId}`;
      entries.delete(key);
      entries.set(key, tokens);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
    },
    lookup(tenant, responseId) {
      return entries.get(`${tenant}\u0000${responseId}`) ?? null;
    },
  };
}
