// GET /budget/events on the budget API (docs/api.md "Events"): who subscribes to what. A key
// sees its own decisions and settlements, the admin every tenant's (optionally narrowed);
// either may narrow to one run. Last-Event-ID replays what the feed still holds.
import { RuncapError, invalidRequest } from '../../errors.js';
import type { Caller } from '../../principal.js';
import type { PipelineDeps } from '../deps.js';
import type { Subscription } from '../events.js';

export interface EventsQuery {
  readonly tenant?: string | undefined;
  readonly key_id?: string | undefined;
  readonly run_id?: string | undefined;
  /** The Last-Event-ID header (or `last_event_id`). */
  readonly lastEventId?: string | undefined;
}

export function subscribeEvents(deps: PipelineDeps, caller: Caller, query: EventsQuery): Subscription {
  if (!caller.admin && query.key_id !== undefined && query.key_id !== caller.principal.keyId)
    throw new RuncapError('forbidden', "Only the admin token may follow another key's events.", { param: 'key_id' });
  if (!caller.admin && query.tenant !== undefined && query.tenant !== caller.principal.tenant)
    throw new RuncapError('forbidden', "Only the admin token may follow another tenant's events.", {
      param: 'tenant',
    });
  const lastEventId = eventId(query.lastEventId);
  return deps.events.subscribe(
    {
      tenant: caller.admin ? (query.tenant ?? null) : caller.principal.tenant,
      keyId: caller.admin ? (query.key_id ?? null) : caller.principal.keyId,
      runId: query.run_id ?? null,
    },
    lastEventId,
  );
}

function eventId(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const id = Number(text);
  if (!/^\d{1,15}$/.test(text) || !Number.isSafeInteger(id))
    throw invalidRequest(
      'Last-Event-ID must be the id of an event this feed sent (a non-negative integer).',
      'Last-Event-ID',
    );
  return id;
}
