// The provider APIs runcap speaks (docs/design.md §8, §8.1): each metered endpoint belongs to one,
// and each configured upstream serves one. Below everything; imports nothing.

export type ProviderName = 'openai' | 'anthropic';

export const PROVIDERS: readonly ProviderName[] = ['openai', 'anthropic'];

/** The upstream every provider gets when the configuration names none for it (docs/design.md §10). */
export const DEFAULT_UPSTREAMS: Readonly<
  Record<ProviderName, { readonly baseUrl: string; readonly apiKeyEnv: string }>
> = {
  openai: { baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY' },
  anthropic: { baseUrl: 'https://api.anthropic.com', apiKeyEnv: 'ANTHROPIC_API_KEY' },
};
