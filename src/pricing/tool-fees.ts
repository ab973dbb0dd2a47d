// Per-call fees of the tools the provider runs itself (OpenAI pricing, "Built-in tools"), the
// bound runcap holds and commits for each call besides the tokens: decimal USD strings, so a
// tenant's `hosted_tools.fees_usd` replaces or adds entries in the same form. Pure data.
//
// web_search: $10 / 1K calls (search content tokens are billed as input, in the usage).
// web_search_preview: $25 / 1K calls on non-reasoning models ($10 on reasoning ones): the higher.
// file_search: $2.50 / 1K calls. code_interpreter: $0.03 per 1 GB container session, charged
// per call (a response that calls it twice in one container pays once upstream: runcap errs high).
// image_generation: the output of a high-quality 1536x1024 gpt-image-1 image ($0.25) plus its
// partial images, rounded up: the response reports no image tokens, so the bound is committed.
// mcp: no fee (the tools' results are input tokens, in the usage).
// Anthropic server tools (docs/design.md §8.1): web_search is $10 / 1K searches too; web_fetch has
// no fee beyond its tokens; code_execution (billed per container hour) has no entry, so a request
// offering it is refused until the tenant prices it.
export const BUILT_IN_TOOL_FEES_USD: Readonly<Record<string, string>> = {
  web_search: '0.01',
  web_search_preview: '0.025',
  file_search: '0.0025',
  code_interpreter: '0.03',
  image_generation: '0.30',
  mcp: '0',
  web_fetch: '0',
};
