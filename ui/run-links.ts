// Links between the views and the run state badge, shared by both views.
import { el } from './dom.js';

/** The run view's address inside the page (hash routing: the server only ever serves /ui). */
export function runHref(runId: string, tenant: string): string {
  return `#/runs/${encodeURIComponent(runId)}?tenant=${encodeURIComponent(tenant)}`;
}

export function runsHref(tenant: string | null): string {
  return tenant === null || tenant === '' ? '#/runs' : `#/runs?tenant=${encodeURIComponent(tenant)}`;
}

/**
 * "active" (open and used within its idle TTL), "idle" (open, unused), "open" (when the API gives no
 * `active`) or "closed": in words, not colour only.
 */
export function stateBadge(run: { readonly state: string; readonly active?: boolean }): HTMLElement {
  const label = run.state === 'closed' ? 'closed' : run.active === undefined ? 'open' : run.active ? 'active' : 'idle';
  return el('span', { class: `badge state-${label}` }, label);
}
