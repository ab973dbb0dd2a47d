// The budget API's JSON as the page reads it (docs/api.md). Amounts are decimal strings in USD and
// stay strings: the page shows them as runcap wrote them. Only what the page uses is typed.

export interface ModelUse {
  readonly model: string;
  readonly calls: number;
  readonly cost_usd: string;
}

/** A run in GET /budget/runs; the spend members are there once the listing carries them. */
export interface RunSummary {
  readonly id: string;
  readonly tenant: string;
  readonly key_id: string;
  readonly state: 'open' | 'closed';
  readonly active: boolean;
  readonly limit_usd: string;
  readonly parent_run_id: string | null;
  readonly depth: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly created_at: string;
  readonly last_activity_at: string;
  readonly idle_expires_at: string;
  readonly closed_at: string | null;
  readonly committed_usd?: string;
  readonly reserved_usd?: string;
  readonly remaining_usd?: string;
  readonly calls?: number;
  readonly models_used?: readonly ModelUse[];
}

export interface RunList {
  readonly runs: readonly RunSummary[];
  readonly next_cursor?: string | null;
}

export interface ChildRun {
  readonly id: string;
  readonly state: 'open' | 'closed';
  readonly limit_usd: string;
  readonly committed_usd: string;
  readonly reserved_usd: string;
  readonly remaining_usd: string;
}

export interface LimitChange {
  readonly at: string;
  readonly changed_by: string;
  readonly from_usd: string;
  readonly to_usd: string;
}

/** GET /budget/runs/{id}. */
export interface RunReport extends RunSummary {
  readonly first_activity_at: string;
  readonly committed_usd: string;
  readonly reserved_usd: string;
  readonly remaining_usd: string;
  readonly calls: number;
  readonly models_used: readonly ModelUse[];
  readonly children: readonly ChildRun[];
  readonly limit_history: readonly LimitChange[];
}

export interface ScopeView {
  readonly type: string;
  readonly id: string;
  readonly window: string;
  readonly limit_usd: string | null;
  readonly committed_usd: string;
  readonly reserved_usd: string;
  readonly remaining_usd: string | null;
}

export interface Alternative {
  readonly model: string;
  readonly estimate_usd: string;
  readonly fits_budget: boolean;
}

export interface Brake {
  readonly kind: 'loop' | 'velocity';
  readonly run_id: string;
  readonly [member: string]: unknown;
}

export interface CallBlock {
  readonly code: string | null;
  readonly blocking_scope: ScopeView | null;
  readonly brake: Brake | null;
  readonly alternatives: readonly Alternative[];
}

/** One call of GET /budget/runs/{id}/calls. */
export interface RunCall {
  readonly decision_id: string;
  readonly at: string;
  readonly endpoint: string | null;
  readonly decision: string | null;
  readonly state: string | null;
  readonly requested_model: string | null;
  readonly selected_model: string | null;
  readonly estimated_input_tokens: number | null;
  readonly input_tokens: number | null;
  readonly output_tokens: number | null;
  readonly estimate_usd: string | null;
  readonly cost_usd: string | null;
  readonly usage_source: string | null;
  readonly block: CallBlock | null;
}

export interface CallList {
  readonly calls: readonly RunCall[];
  readonly next_cursor?: string | null;
}
