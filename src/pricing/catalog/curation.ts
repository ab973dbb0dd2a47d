// The curation file of a catalog import (prices/sources/curation.json, docs/pricing.md): which
// models are current, their downgrade chains, and what the catalogs lack, each with a source.
// Pure: validates parsed JSON; CatalogError names the field.
import { z } from 'zod';
import { CatalogError } from './catalog-error.js';

const price = z.string().regex(/^\d+(?:\.\d{1,9})?$/, 'a decimal string like "0.60"');
const tokens = z.number().int().nonnegative();
const rates = z.strictObject({
  input: price,
  output: price,
  cached_input: price.optional(),
  cache_write: price.optional(),
  cache_write_1h: price.optional(),
  long_context: z
    .strictObject({
      above_input_tokens: tokens,
      input: price,
      output: price,
      cached_input: price.optional(),
      cache_write: price.optional(),
      cache_write_1h: price.optional(),
    })
    .optional(),
});
const curatedModel = z
  .strictObject({
    provider: z.enum(['openai', 'anthropic']),
    /** The catalog's id for it (default: the table name); null = not in the catalog. */
    catalog: z.string().min(1).nullable().optional(),
    /** Prices the catalog does not have (only with catalog: null), with their source. */
    prices: rates.optional(),
    /** Priced at another catalog model's rates (only with catalog: null, with a source). */
    prices_from: z.string().min(1).optional(),
    source: z.string().min(1).optional(),
    aliases: z.array(z.string().min(1)).optional(),
    context_window: tokens.positive().optional(),
    max_output_tokens: tokens.optional(),
    limits_source: z.string().min(1).optional(),
    capabilities: z.strictObject({ tools: z.boolean(), json_schema: z.boolean(), vision: z.boolean() }).optional(),
    downgrade_to: z.array(z.string().min(1)),
    embedding: z.boolean().optional(),
  })
  .superRefine((m, ctx) => {
    const outside = m.catalog === null;
    if (outside !== (m.prices !== undefined || m.prices_from !== undefined) || (m.prices && m.prices_from)) {
      ctx.addIssue({ code: 'custom', message: 'catalog: null goes with exactly one of prices / prices_from' });
    }
    if (outside && m.source === undefined)
      ctx.addIssue({ code: 'custom', message: 'prices outside the catalog need a source' });
  });
const curationFile = z.strictObject({ about: z.string().optional(), models: z.record(z.string(), curatedModel) });

export type CuratedModel = z.output<typeof curatedModel>;
export type Curation = z.output<typeof curationFile>;
export type CuratedRates = z.output<typeof rates>;

export function parseCuration(raw: unknown, where: string): Curation {
  const result = curationFile.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new CatalogError(where, issue?.path.join('.') ?? '', issue?.message ?? 'invalid');
}
