// The one error a price table (or a tenant price override) raises when it is invalid.
// It names the file (or config path), the model and the field; it never carries HTTP meaning.

export class PriceTableError extends Error {
  override readonly name = 'PriceTableError';

  constructor(
    /** The file or config path the bad data came from, e.g. "prices/2026-11-01.json". */
    readonly where: string,
    /** The model entry at fault, or null for a table-level problem. */
    readonly model: string | null,
    /** The field at fault ("output", "long_context.input"), or null when the whole entry/file is bad. */
    readonly field: string | null,
    /** What is wrong, without the location prefix. */
    readonly reason: string,
  ) {
    super(formatLocation(where, model, field) + reason);
  }
}

function formatLocation(where: string, model: string | null, field: string | null): string {
  const parts = [where];
  if (model !== null) parts.push(`model "${model}"`);
  if (field !== null) parts.push(`field "${field}"`);
  return parts.length === 1 ? `${where}: ` : `${parts[0]}: ${parts.slice(1).join(' ')}: `;
}

/** A short, quoted rendering of a bad value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
