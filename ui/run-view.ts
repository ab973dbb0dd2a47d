// One run's view (docs/ui.md): where it stands against its ceiling, its calls in order with every
// refusal's reason and the alternatives offered, its ceiling history and its sub-agent runs.
import { ApiError, apiPath, getJson, Unauthenticated } from './api.js';
import { callsTable } from './calls-table.js';
import { el, fill, keepFocus } from './dom.js';
import { usd } from './money.js';
import { oneAtATime } from './one-at-a-time.js';
import { runHref, runsHref, stateBadge } from './run-links.js';
import { spendBar } from './spend-bar.js';
import { timeElement } from './time.js';
import type { CallList, RunCall, RunReport } from './types.js';
import type { View, ViewContext } from './view.js';

const CALLS_PAGE = 500;
const MAX_CALLS_PAGE = 1000;

export function runView(root: HTMLElement, context: ViewContext, runId: string, tenant: string | null): View {
  let calls: readonly RunCall[] = [];
  let callsCursor: string | null = null;
  const title = el('h1', {}, runId);
  const error = el('p', { class: 'error', role: 'alert', hidden: true });
  const content = el('div', { class: 'run' });
  const more = el(
    'button',
    { type: 'button', class: 'more', hidden: true, 'data-focus': 'more-calls' },
    'Load more calls',
  );
  fill(
    root,
    el('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, el('a', { href: runsHref(tenant) }, '← All runs')),
    title,
    error,
    content,
  );

  const report = (): Promise<RunReport> =>
    getJson<RunReport>(context.token, apiPath(`/budget/runs/${encodeURIComponent(runId)}`, { tenant }));

  const loadCalls = async (after: string | null): Promise<void> => {
    const limit = after === null ? Math.min(Math.max(CALLS_PAGE, calls.length), MAX_CALLS_PAGE) : CALLS_PAGE;
    const page = await getJson<CallList>(
      context.token,
      apiPath(`/budget/runs/${encodeURIComponent(runId)}/calls`, { tenant, limit, cursor: after }),
    );
    calls = after === null ? page.calls : [...calls, ...page.calls];
    callsCursor = page.next_cursor ?? null;
  };

  const draw = (run: RunReport): void => {
    fill(title, run.id, ' ', stateBadge(run));
    keepFocus(content, () =>
      fill(
        content,
        facts(run),
        section('Calls', callsHeading(run), callsTable(calls), more),
        section('Ceiling history', null, limitHistory(run)),
        section('Sub-agent runs', null, children(run)),
        section('Models', run.children.length > 0 ? 'its sub-agent runs included' : null, modelsTable(run)),
      ),
    );
    more.hidden = callsCursor === null;
  };

  // Loads one at a time (one-at-a-time.ts); the cursor is read when this load's turn comes.
  const queued = oneAtATime();
  more.addEventListener('click', () => {
    void queued(async () => {
      if (callsCursor === null) return;
      try {
        await loadCalls(callsCursor);
        draw(await report());
      } catch (failure) {
        fail(failure);
      }
    });
  });

  const fail = (failure: unknown): void => {
    if (failure instanceof Unauthenticated) return context.unauthenticated(failure);
    error.textContent =
      failure instanceof ApiError && failure.status === 404
        ? `No run "${runId}" visible to this token (runcap answers 404 for a run of another key too).`
        : `Could not load the run: ${(failure as Error).message}`;
    error.hidden = false;
  };

  const callsHeading = (run: RunReport): string => {
    const refused = calls.filter((call) => call.block !== null).length;
    const own = `${calls.length}${callsCursor === null ? '' : '+'} ${calls.length === 1 ? 'call' : 'calls'}`;
    const children = run.children.length > 0 ? "; its sub-agent runs' calls are in their own views" : '';
    return `${own}${refused > 0 ? `, ${refused} refused` : ''}, oldest first${children}`;
  };

  return {
    refresh: () =>
      queued(async () => {
        try {
          const [run] = await Promise.all([report(), loadCalls(null)]);
          error.hidden = true;
          draw(run);
        } catch (failure) {
          fail(failure);
        }
      }),
  };
}

function section(name: string, note: string | null, ...body: (Node | null)[]): HTMLElement {
  const id = `section-${name.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return el(
    'section',
    { class: 'panel', 'aria-labelledby': id },
    el('h2', { id }, name, note === null ? null : el('span', { class: 'note' }, ` · ${note}`)),
    ...body,
  );
}

function facts(run: RunReport): HTMLElement {
  const pair = (term: string, ...detail: (Node | string | null)[]): HTMLElement[] => [
    el('dt', {}, term),
    el('dd', {}, ...detail),
  ];
  const tags = Object.entries(run.tags);
  return el(
    'div',
    { class: 'facts' },
    el(
      'div',
      { class: 'facts-spend' },
      spendBar(run),
      el(
        'p',
        { class: 'remaining' },
        'Remaining ',
        el('strong', {}, usd(run.remaining_usd)),
        ` of a ${usd(run.limit_usd)} ceiling`,
      ),
    ),
    el(
      'dl',
      {},
      ...pair('Key', el('code', {}, run.key_id)),
      ...pair('Tenant', run.tenant),
      ...(run.parent_run_id === null
        ? []
        : pair('Sub-agent of', el('a', { href: runHref(run.parent_run_id, run.tenant) }, run.parent_run_id))),
      ...pair('Created', timeElement(run.created_at)),
      ...pair('Last activity', timeElement(run.last_activity_at)),
      ...(run.state === 'closed'
        ? pair('Closed', timeElement(run.closed_at))
        : pair('Idle after', timeElement(run.idle_expires_at))),
      ...(tags.length === 0
        ? []
        : pair('Tags', ...tags.map(([name, value]) => el('span', { class: 'tag' }, `${name}=${value}`)))),
    ),
  );
}

function limitHistory(run: RunReport): HTMLElement {
  if (run.limit_history.length === 0) {
    return el('p', { class: 'muted' }, `Unchanged since the run was created: ${usd(run.limit_usd)}.`);
  }
  return table(
    ['When', 'By', 'From', 'To'],
    run.limit_history.map((change) => [
      timeElement(change.at),
      el('code', {}, change.changed_by),
      usd(change.from_usd),
      usd(change.to_usd),
    ]),
    'history-table',
  );
}

function children(run: RunReport): HTMLElement {
  if (run.children.length === 0) return el('p', { class: 'muted' }, 'None: no call named this run as its parent.');
  return table(
    ['Run', 'State', 'Spend of ceiling'],
    run.children.map((child) => [
      el('a', { href: runHref(child.id, run.tenant) }, child.id),
      stateBadge(child),
      spendBar(child),
    ]),
    'children-table',
  );
}

function modelsTable(run: RunReport): HTMLElement {
  if (run.models_used.length === 0) return el('p', { class: 'muted' }, 'No charged call yet.');
  return table(
    ['Model', 'Calls', 'Cost'],
    run.models_used.map((use) => [use.model, String(use.calls), usd(use.cost_usd)]),
    'models-table',
  );
}

/** A plain table whose cells carry their column name for the phone layout (data-label). */
export function table(headers: readonly string[], rows: readonly (Node | string)[][], className: string): HTMLElement {
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: className },
      el('thead', {}, el('tr', {}, ...headers.map((name) => el('th', { scope: 'col' }, name)))),
      el(
        'tbody',
        {},
        ...rows.map((cells) =>
          el('tr', {}, ...cells.map((value, index) => el('td', { 'data-label': headers[index] ?? '' }, value))),
        ),
      ),
    ),
  );
}
