// Times on the page: the API's ISO-8601 UTC instants, shown in the viewer's own time zone.

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const zoneName = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' });

/** "Dec 1, 2026, 09:07:07" in the viewer's zone; "—" for none. */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : dateTime.format(at);
}

/** "09:07:07" in the viewer's zone, for the rows of one run's calls. */
export function localClock(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : timeOnly.format(at);
}

/** The viewer's zone as the browser names it ("UTC", "GMT+9", "CET"). */
export function zoneLabel(): string {
  const part = zoneName.formatToParts(new Date()).find((p) => p.type === 'timeZoneName');
  return part?.value ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A <time> element: the local rendering as text, the exact instant in `datetime` and the title. */
export function timeElement(iso: string | null | undefined, text: (iso: string) => string = localTime): HTMLElement {
  const element = document.createElement('time');
  if (!iso) {
    element.textContent = '—';
    return element;
  }
  element.dateTime = iso;
  element.title = iso;
  element.textContent = text(iso);
  return element;
}
