// The on-disk JSON shape of a price table (docs/design.md §9), for code that WRITES tables (the LiteLLM
// importer). Readers never trust this type: parse-table.ts validates unknown JSON instead.

export interface CapabilitiesJson {
  readonly tools: boolean;
  readonly json_schema: boolean;
  readonly vision: boolean;
}

export interface LongContextJson {
  readonly above_input_tokens: number;
  readonly input: string;
  readonly cached_input?: string;
  readonly cache_write?: string;
  readonly cache_write_1h?: string;
  readonly output: string;
}

export interface PriceEntryJson {
  readonly provider: string;
  readonly aliases: readonly string[];
  readonly encoding: string;
  readonly estimate_factor?: string;
  readonly input: string;
  readonly cached_input?: string;
  readonly cache_write?: string;
  readonly cache_write_1h?: string;
  readonly output: string;
  readonly reasoning?: string;
  readonly context_window: number;
  readonly max_output_tokens: number;
  readonly capabilities: CapabilitiesJson;
  readonly downgrade_to: readonly string[];
  readonly long_context?: LongContextJson;
  /** Where the entry's prices came from when not from the table's catalogs (documentation only). */
  readonly source?: string;
}

export interface PriceTableJson {
  readonly version: string;
  readonly currency: 'USD';
  readonly notes?: string;
  /** The catalogs (and versions) a generated table came from (documentation only). */
  readonly source?: {
    readonly catalogs: readonly { readonly name: string; readonly version: string }[];
    readonly curation?: string;
    readonly prices_as_of?: string;
  };
  readonly models: Readonly<Record<string, PriceEntryJson>>;
}
