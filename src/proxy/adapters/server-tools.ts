// Anthropic server tools: the tools Anthropic runs itself inside one Messages request
// (docs/bounds.md "Hosted tools"), by the prefix of their versioned `type`, with the fee key
// runcap prices a call at and the `usage.server_tool_use` counter that reports their calls.
import type { HostedCallCounts } from '../adapter.js';
import { isRecord } from './body-fields.js';

export interface ServerTool {
  readonly prefix: string;
  readonly feeKey: string;
  readonly counter: string;
}

export const SERVER_TOOLS: readonly ServerTool[] = [
  { prefix: 'web_search_', feeKey: 'web_search', counter: 'web_search_requests' },
  { prefix: 'web_fetch_', feeKey: 'web_fetch', counter: 'web_fetch_requests' },
  { prefix: 'code_execution_', feeKey: 'code_execution', counter: 'code_execution_requests' },
];

/** The server tool calls a `usage` object reports, by counter. */
export function serverToolCalls(usage: unknown): HostedCallCounts {
  const calls = isRecord(usage) ? usage['server_tool_use'] : null;
  const out: Record<string, number> = {};
  if (!isRecord(calls)) return out;
  for (const { counter } of SERVER_TOOLS) {
    const value = calls[counter];
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) out[counter] = value;
  }
  return out;
}
