// The runs view (docs/ui.md): every run the token may see, newest activity first, with its spend
// against its ceiling; sorted and filtered in the page, refreshed whenever runcap reports a change.
import { apiPath, getJson, Unauthenticated } from './api.js';
import { el, fill, keepFocus } from './dom.js';
import { oneAtATime } from './one-at-a-time.js';
import { filterRuns, sortRuns, STATE_FILTERS, type Direction, type SortKey, type StateFilter } from './run-order.js';
import { runHref, stateBadge } from './run-links.js';
import { spendBar } from './spend-bar.js';
import { timeElement } from './time.js';
import type { RunList, RunSummary } from './types.js';
import type { View, ViewContext } from './view.js';

const PAGE = 100;
const MAX_PAGE = 1000;

const COLUMNS: readonly { label: string; sort: SortKey | null; className: string }[] = [
  { label: 'Run', sort: 'id', className: 'col-run' },
  { label: 'Key', sort: 'key', className: 'col-key' },
  { label: 'Models', sort: null, className: 'col-models' },
  { label: 'Spend of ceiling', sort: 'spend', className: 'col-spend' },
  { label: 'Calls', sort: 'calls', className: 'col-calls num' },
  { label: 'State', sort: 'state', className: 'col-state' },
  { label: 'Last activity', sort: 'activity', className: 'col-activity' },
];

const STATE_LABELS: Readonly<Record<StateFilter, string>> = {
  all: 'All',
  active: 'Active',
  open: 'Open',
  closed: 'Closed',
};

export function runsView(root: HTMLElement, context: ViewContext, tenant: string | null): View {
  let runs: readonly RunSummary[] = [];
  let cursor: string | null = null;
  let sort: { key: SortKey; direction: Direction } = { key: 'activity', direction: 'desc' };
  let seen = new Map<string, string>();

  const filterInput = el('input', { type: 'search', id: 'run-filter', placeholder: 'id, key, model, tag' });
  const stateSelect = el('select', { id: 'run-state' });
  for (const state of STATE_FILTERS) stateSelect.append(el('option', { value: state }, STATE_LABELS[state]));
  const tenantInput = el('input', { type: 'text', id: 'run-tenant', placeholder: 'default', value: tenant ?? '' });
  const summary = el('p', { class: 'summary', 'aria-live': 'polite' });
  const error = el('p', { class: 'error', role: 'alert', hidden: true });
  const head = el('tr');
  const body = el('tbody');
  const more = el('button', { type: 'button', class: 'more', hidden: true }, 'Load more runs');

  const toolbar = el(
    'form',
    { class: 'toolbar', role: 'search' },
    el('label', { for: 'run-filter' }, 'Filter'),
    filterInput,
    el('label', { for: 'run-state' }, 'State'),
    stateSelect,
    el('label', { for: 'run-tenant' }, 'Tenant', el('span', { class: 'hint' }, ' (admin)')),
    tenantInput,
  );
  toolbar.addEventListener('submit', (event) => event.preventDefault());
  fill(
    root,
    el('h1', {}, 'Runs'),
    toolbar,
    summary,
    error,
    el(
      'div',
      { class: 'table-wrap' },
      el('table', { class: 'runs-table' }, el('caption', { class: 'sr-only' }, 'Runs'), el('thead', {}, head), body),
    ),
    more,
  );

  const drawHead = (): void => fill(head, ...COLUMNS.map(header));
  const draw = (): void => {
    const shown = sortRuns(filterRuns(runs, { text: filterInput.value, state: state() }), sort.key, sort.direction);
    const next = new Map<string, string>();
    keepFocus(body, () =>
      fill(
        body,
        ...shown.map((run) => {
          const signature = `${run.committed_usd}|${run.reserved_usd}|${run.calls}|${run.state}|${run.limit_usd}`;
          next.set(run.id, signature);
          const changed = seen.size > 0 && seen.get(run.id) !== signature;
          return row(run, changed);
        }),
      ),
    );
    if (shown.length === 0) {
      body.append(el('tr', {}, el('td', { colspan: COLUMNS.length, class: 'empty' }, emptyText())));
    }
    seen = next;
    summary.textContent =
      shown.length === runs.length ? `${runs.length} ${plural(runs.length)}` : `${shown.length} of ${runs.length} runs`;
    more.hidden = cursor === null;
  };

  const header = (column: (typeof COLUMNS)[number]): HTMLElement => {
    if (column.sort === null) return el('th', { scope: 'col', class: column.className }, column.label);
    const active = sort.key === column.sort;
    const key = column.sort;
    const button = el(
      'button',
      { type: 'button', class: 'sort' },
      column.label,
      el('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (sort.direction === 'asc' ? ' ▲' : ' ▼') : ''),
    );
    button.addEventListener('click', () => {
      sort = { key, direction: active && sort.direction === 'desc' ? 'asc' : active ? 'desc' : defaultDirection(key) };
      drawHead();
      draw();
      (head.querySelector(`[data-sort="${key}"] button`) as HTMLButtonElement | null)?.focus();
    });
    return el(
      'th',
      {
        scope: 'col',
        class: column.className,
        'data-sort': key,
        'aria-sort': active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : null,
      },
      button,
    );
  };

  const state = (): StateFilter =>
    (STATE_FILTERS as readonly string[]).includes(stateSelect.value) ? (stateSelect.value as StateFilter) : 'all';
  const emptyText = (): string =>
    runs.length === 0
      ? 'No runs yet for this token. Runs appear here as soon as a call names one.'
      : 'No run matches the filter.';

  const queued = oneAtATime();
  const refresh = (): Promise<void> => queued(() => load(null));

  const load = async (after: string | null): Promise<void> => {
    const serverState = state() === 'open' || state() === 'closed' ? state() : null;
    const limit = after === null ? Math.min(Math.max(PAGE, runs.length), MAX_PAGE) : PAGE;
    try {
      const list = await getJson<RunList>(
        context.token,
        apiPath('/budget/runs', { limit, tenant: tenantInput.value.trim(), state: serverState, cursor: after }),
      );
      runs = after === null ? list.runs : [...runs, ...list.runs];
      if (after === null || list.next_cursor !== undefined) cursor = list.next_cursor ?? null;
      error.hidden = true;
      draw();
    } catch (failure) {
      if (failure instanceof Unauthenticated) return context.unauthenticated(failure);
      error.textContent = `Could not load the runs: ${(failure as Error).message}`;
      error.hidden = false;
    }
  };

  drawHead();
  filterInput.addEventListener('input', draw);
  stateSelect.addEventListener('change', () => void refresh());
  tenantInput.addEventListener('change', () => {
    seen = new Map();
    const value = tenantInput.value.trim();
    history.replaceState(null, '', value === '' ? '#/runs' : `#/runs?tenant=${encodeURIComponent(value)}`);
    void refresh();
  });
  // The cursor is read when this load's turn comes: the one the load before it left.
  more.addEventListener('click', () => void queued(() => (cursor === null ? Promise.resolve() : load(cursor))));

  return { refresh };
}

function row(run: RunSummary, changed: boolean): HTMLElement {
  const cells = [
    cell('Run', 'col-run', el('a', { href: runHref(run.id, run.tenant) }, run.id), parentNote(run), tagList(run.tags)),
    cell('Key', 'col-key', el('code', {}, run.key_id)),
    cell('Models', 'col-models', models(run)),
    cell('Spend of ceiling', 'col-spend', spendBar(run)),
    cell('Calls', 'col-calls num', run.calls === undefined ? '—' : String(run.calls)),
    cell('State', 'col-state', stateBadge(run)),
    cell('Last activity', 'col-activity', timeElement(run.last_activity_at)),
  ];
  return el('tr', { class: changed ? 'changed' : null, 'data-run-id': run.id }, ...cells);
}

function cell(label: string, className: string, ...children: (Node | string | null)[]): HTMLElement {
  return el('td', { 'data-label': label, class: className }, ...children);
}

function parentNote(run: RunSummary): HTMLElement | null {
  if (run.parent_run_id === null) return null;
  return el(
    'div',
    { class: 'sub' },
    'sub-agent of ',
    el('a', { href: runHref(run.parent_run_id, run.tenant) }, run.parent_run_id),
  );
}

function tagList(tags: Readonly<Record<string, string>>): HTMLElement | null {
  const entries = Object.entries(tags);
  if (entries.length === 0) return null;
  return el(
    'div',
    { class: 'tags' },
    ...entries.map(([name, value]) => el('span', { class: 'tag' }, `${name}=${value}`)),
  );
}

function models(run: RunSummary): HTMLElement | string {
  if (run.models_used === undefined) return '—';
  if (run.models_used.length === 0) return el('span', { class: 'muted' }, 'none yet');
  return el(
    'ul',
    { class: 'models' },
    ...run.models_used.map((use) => el('li', {}, use.model, el('span', { class: 'muted' }, ` ×${use.calls}`))),
  );
}

function defaultDirection(key: SortKey): Direction {
  return key === 'id' || key === 'key' ? 'asc' : 'desc';
}

function plural(count: number): string {
  return count === 1 ? 'run' : 'runs';
}
