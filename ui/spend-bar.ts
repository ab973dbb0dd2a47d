// A run's committed and reserved money against its ceiling, as a bar with its figures in words
// beside it (the colour is never the only sign: the per cent and "near"/"over" are written too).
import { el } from './dom.js';
import { ceilingUse, toMicros, usd } from './money.js';

export interface SpendFigures {
  readonly committed_usd?: string | undefined;
  readonly reserved_usd?: string | undefined;
  readonly limit_usd: string;
}

const LEVEL_WORDS = { ok: '', near: ' · near the ceiling', over: ' · at the ceiling' } as const;

export function spendBar(figures: SpendFigures): HTMLElement {
  if (figures.committed_usd === undefined) {
    return el('div', { class: 'spend' }, el('span', { class: 'muted' }, `ceiling ${usd(figures.limit_usd)}`));
  }
  const reserved = figures.reserved_usd ?? '0.00';
  const use = ceilingUse(figures.committed_usd, reserved, figures.limit_usd);
  const committed = el('span', { class: 'bar-committed' });
  const held = el('span', { class: 'bar-reserved' });
  // Widths through the CSSOM (allowed by the CSP; a style attribute is not), in whole tenths of a per cent.
  committed.style.width = `${use.committedPermille / 10}%`;
  held.style.width = `${use.reservedPermille / 10}%`;
  // Money spent shows, however small against the ceiling.
  if (use.committedPermille === 0 && (toMicros(figures.committed_usd) ?? 0n) > 0n) committed.style.minWidth = '3px';
  if (use.reservedPermille === 0 && (toMicros(reserved) ?? 0n) > 0n) held.style.minWidth = '3px';
  const label =
    `${usd(figures.committed_usd)} spent, ${usd(reserved)} held, of ${usd(figures.limit_usd)}: ` +
    `${use.percent}%${LEVEL_WORDS[use.level]}`;
  return el(
    'div',
    { class: `spend level-${use.level}` },
    el(
      'div',
      {
        class: 'bar',
        role: 'meter',
        'aria-valuemin': 0,
        'aria-valuemax': 100,
        'aria-valuenow': Math.min(use.percent, 100),
        'aria-label': label,
        title: label,
      },
      committed,
      held,
    ),
    el(
      'div',
      { class: 'spend-figures' },
      el('span', { class: 'committed' }, usd(figures.committed_usd)),
      toMicros(reserved) === 0n ? null : el('span', { class: 'reserved' }, ` + ${usd(reserved)} held`),
      el('span', { class: 'of' }, ` of ${usd(figures.limit_usd)}`),
      el('span', { class: 'percent' }, ` · ${use.percent}%`),
    ),
  );
}
