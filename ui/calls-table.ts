// A run's calls, oldest first: one row per budget decision, and under every refused call a row with
// its reason and the alternatives runcap offered.
import { blockReason } from './block-reason.js';
import { el } from './dom.js';
import { usd } from './money.js';
import { localClock, timeElement } from './time.js';
import type { RunCall } from './types.js';

const HEADERS = ['Time', 'Endpoint', 'Model', 'Tokens in / out', 'Cost', 'Decision', 'Usage'] as const;

export function callsTable(calls: readonly RunCall[]): HTMLElement {
  if (calls.length === 0) return el('p', { class: 'muted' }, 'No call yet.');
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: 'calls-table' },
      el('thead', {}, el('tr', {}, ...HEADERS.map((name) => el('th', { scope: 'col' }, name)))),
      el('tbody', {}, ...calls.flatMap(rows)),
    ),
  );
}

function rows(call: RunCall): HTMLElement[] {
  const cells: (Node | string)[] = [
    timeElement(call.at, localClock),
    call.endpoint ?? '—',
    model(call),
    tokens(call),
    cost(call),
    decision(call),
    call.usage_source ?? '—',
  ];
  const main = el(
    'tr',
    { class: call.block === null ? 'call' : 'call refused', 'data-decision-id': call.decision_id },
    ...cells.map((value, index) => el('td', { 'data-label': HEADERS[index] ?? '' }, value)),
  );
  if (call.block === null) return [main];
  const alternatives = call.block.alternatives;
  const detail = el(
    'tr',
    { class: 'block-detail' },
    el(
      'td',
      { colspan: HEADERS.length },
      el('p', { class: 'reason' }, el('strong', {}, 'Why: '), blockReason(call.block, call.estimate_usd)),
      alternatives.length === 0
        ? el('p', { class: 'alternatives muted' }, 'No alternative model fitted what was left.')
        : el(
            'p',
            { class: 'alternatives' },
            el('strong', {}, 'Alternatives offered: '),
            ...alternatives.flatMap((alternative, index) => [
              index === 0 ? null : ', ',
              el('code', {}, alternative.model),
              ` (${usd(alternative.estimate_usd)} worst case)`,
            ]),
          ),
    ),
  );
  return [main, detail];
}

function model(call: RunCall): Node | string {
  const requested = call.requested_model ?? '—';
  if (call.selected_model === null || call.selected_model === call.requested_model) return requested;
  return el(
    'span',
    {},
    requested,
    el('span', { class: 'arrow', 'aria-label': 'served as' }, ' → '),
    call.selected_model,
  );
}

function tokens(call: RunCall): Node | string {
  if (call.input_tokens !== null || call.output_tokens !== null) {
    return `${count(call.input_tokens)} / ${count(call.output_tokens)}`;
  }
  if (call.estimated_input_tokens !== null) {
    return el(
      'span',
      { class: 'muted', title: 'input counted by runcap before the call' },
      `~${count(call.estimated_input_tokens)} / —`,
    );
  }
  return '—';
}

function cost(call: RunCall): Node | string {
  if (call.cost_usd !== null) return usd(call.cost_usd);
  if (call.block !== null) return el('span', { class: 'muted' }, 'nothing');
  if (call.state === 'pending') return el('span', { class: 'muted' }, `${usd(call.estimate_usd)} held`);
  if (call.state === 'released') return el('span', { class: 'muted' }, 'released');
  return '—';
}

function decision(call: RunCall): Node {
  const kind = call.decision ?? 'unknown';
  return el(
    'span',
    {},
    el('span', { class: `badge decision-${kind}` }, kind.replace('_', ' ')),
    call.state === 'pending' ? el('span', { class: 'muted' }, ' in flight') : null,
    call.block?.code ? el('code', { class: 'code' }, ` ${call.block.code}`) : null,
  );
}

function count(value: number | null): string {
  return value === null ? '—' : value.toLocaleString();
}
