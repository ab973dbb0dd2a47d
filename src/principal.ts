// Who is calling (docs/design.md §2). Types only; auth.ts resolves one from a request.

export interface Principal {
  readonly kind: 'virtual' | 'passthrough';
  readonly tenant: string;
  /** Virtual key id, or "key_" + 16 hex chars of sha256(provider key) in passthrough. */
  readonly keyId: string;
  readonly userId: string | null;
  readonly teamId: string | null;
  /** Upstream name from config. */
  readonly upstream: string;
  /**
   * The provider key to send upstream: the caller's own in passthrough, the
   * configured one for virtual keys. Held in memory for the call only; never stored or logged.
   */
  readonly providerKey: string | null;
  /**
   * The header the provider key goes upstream in: `x-api-key` (Anthropic: a passthrough key that
   * came in it, or runcap's own key); absent: `Authorization: Bearer`.
   */
  readonly credential?: 'x-api-key';
}

/** A budget API caller: a principal, or the admin token (sees everything). */
export type Caller = { readonly admin: true } | { readonly admin: false; readonly principal: Principal };
