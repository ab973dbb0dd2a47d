// Who may see what on the budget API (docs/design.md §8): a principal sees only its own runs,
// reservations and spend; the admin token sees every tenant. Someone else's object is
// answered 404 `not_found`, exactly like a missing one, so ids never leak existence.
import { RuncapError } from '../../errors.js';
import type { Caller, Principal } from '../../principal.js';
import type { PipelineDeps } from '../deps.js';

/** True when `caller` may see an object owned by (tenant, keyId). */
export function canSee(caller: Caller, tenant: string, keyId: string): boolean {
  return caller.admin || (caller.principal.tenant === tenant && caller.principal.keyId === keyId);
}

export function notFound(what: string, id: string): RuncapError {
  return new RuncapError('not_found', `No ${what} "${id}" visible to this caller.`);
}

/** The principal behind a call that must draw on a key's budget (the admin token has none). */
export function requirePrincipal(caller: Caller, action: string): Principal {
  if (caller.admin) {
    throw new RuncapError(
      'forbidden',
      `The admin token has no budget of its own: ${action} with the key whose budget it draws on.`,
    );
  }
  return caller.principal;
}

/**
 * The user and team a key's spend is attributed to: the caller's own, or for the admin
 * looking at someone else's run, the configured virtual key's (none for passthrough keys).
 */
export function keyFacts(
  deps: PipelineDeps,
  caller: Caller,
  tenant: string,
  keyId: string,
): { userId: string | null; teamId: string | null } {
  if (!caller.admin && caller.principal.keyId === keyId && caller.principal.tenant === tenant) {
    return { userId: caller.principal.userId, teamId: caller.principal.teamId };
  }
  for (const key of deps.config.keys.values()) {
    if (key.id === keyId && key.tenant === tenant) return { userId: key.user, teamId: key.team };
  }
  return { userId: null, teamId: null };
}
