// RFC 4180 CSV: CRLF line ends, a field quoted when it holds a comma, a double quote, CR
// or LF, quotes doubled inside. Values are written as they are (no formula escaping).
// Pure; knows nothing of what the rows mean.

export type CsvValue = string | number | null;

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';

export function csvField(value: CsvValue): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header line and one line per row, each ending in CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}

/** True when the Accept header prefers text/csv over JSON (q-values honoured, ties go to CSV). */
export function prefersCsv(accept: string | undefined | null): boolean {
  if (!accept) return false;
  let csv = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === 'text/csv') csv = Math.max(csv, q);
    else if (type === 'application/json' || type === '*/*' || type === 'application/*')
      json = Math.max(json, type === 'application/json' ? q : q - 0.001);
  }
  return csv > 0 && csv >= json;
}
