// Which scopes a call draws on (docs/design.md §3.2): the run and its ancestors (a sub-agent run
// also holds against every ancestor's ceiling, docs/design.md §2), plus the key, user, team and
// feature scopes the tenant configures. Pure.
import type { TenantPolicy } from '../config/types.js';
import type { ScopeSpec } from '../ledger/index.js';
import type { Micros } from '../money/micros.js';

export interface ScopeSubject {
  readonly runId: string;
  readonly runLimitMicros: Micros;
  readonly keyId: string;
  readonly userId: string | null;
  readonly teamId: string | null;
  readonly feature: string | null;
  /** A sub-agent run's ancestors, parent first: one more run scope each. */
  readonly ancestors?: readonly { readonly runId: string; readonly limitMicros: Micros }[];
}

export function buildScopes(tenant: TenantPolicy, subject: ScopeSubject): ScopeSpec[] {
  const margin = tenant.softGateMarginMicros;
  const scopes: ScopeSpec[] = [
    {
      type: 'run',
      id: subject.runId,
      window: 'none',
      limitMicros: subject.runLimitMicros,
      mode: tenant.run.mode,
      marginMicros: margin,
    },
    ...(subject.ancestors ?? []).map((ancestor): ScopeSpec => ({
      type: 'run',
      id: ancestor.runId,
      window: 'none',
      limitMicros: ancestor.limitMicros,
      mode: tenant.run.mode,
      marginMicros: margin,
    })),
  ];
  const add = (type: 'key' | 'user' | 'team' | 'feature', id: string | null): void => {
    if (id === null) return;
    const limit = tenant.limits[type];
    if (limit)
      scopes.push({
        type,
        id,
        window: limit.window,
        limitMicros: limit.limitMicros,
        mode: limit.mode,
        marginMicros: margin,
      });
    else if (type === 'feature')
      scopes.push({ type, id, window: 'none', limitMicros: null, mode: 'advisory_estimate' });
  };
  add('key', subject.keyId);
  add('user', subject.userId);
  add('team', subject.teamId);
  add('feature', subject.feature);
  return scopes;
}

/**
 * The user a call is attributed to and limited as: a key's configured user wins; an end
 * user named by the caller (X-Budget-User, where the tenant allows it) lives under its key
 * ("k_app/alice"), so a name can neither reach another key's users nor dodge a ceiling.
 */
export function endUserId(
  principal: { readonly keyId: string; readonly userId: string | null },
  named: string | null,
): string | null {
  return principal.userId ?? (named === null ? null : `${principal.keyId}/${named}`);
}
