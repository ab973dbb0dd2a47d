// Tools the provider runs itself and invoices per call (OpenAI API reference "Tools"; pricing
// "Built-in tools"): which tools of a request are hosted, the fee key and units of each, and
// the output items that record the calls a response made. Wire format only: fees and bounds
// are policy (pipeline/hosted-tool-bounds.ts). Knows nothing of the ledger.
import type { HostedCallCounts, HostedTool } from '../adapter.js';
import { isRecord } from './body-fields.js';

/** Tools the client executes: the response ends at the call, nothing is run or invoiced by the provider. */
const CLIENT_SIDE = new Set([
  'function',
  'custom',
  'namespace',
  'local_shell',
  'apply_patch',
  'computer',
  'computer_use_preview',
]);

/** Code-interpreter container sizes: fee units relative to the 1 GB default. */
const CONTAINER_UNITS: Readonly<Record<string, number>> = { '1g': 1, '4g': 4, '16g': 16, '64g': 64 };

/**
 * A container's fee units: an automatic container by its memory limit (1 GB by default). An
 * existing container named by id has a size runcap cannot know: it is priced as its own fee key,
 * which the tenant must set (fail closed).
 */
function container(value: unknown): { feeKey: string; units: number } {
  if (typeof value === 'string') return { feeKey: 'code_interpreter_container', units: 1 };
  const memory = isRecord(value) ? value['memory_limit'] : undefined;
  const units = typeof memory === 'string' ? CONTAINER_UNITS[memory] : memory === undefined || memory === null ? 1 : 0;
  return units ? { feeKey: 'code_interpreter', units } : { feeKey: `code_interpreter_${String(memory)}`, units: 1 };
}

function hostedTool(tool: unknown, param: string): HostedTool | null {
  if (!isRecord(tool) || typeof tool['type'] !== 'string') return null;
  const type = tool['type'];
  if (CLIENT_SIDE.has(type)) return null;
  if (type.startsWith('web_search_preview'))
    return { feeKey: 'web_search_preview', units: 1, callItem: 'web_search_call', param };
  if (type.startsWith('web_search')) return { feeKey: 'web_search', units: 1, callItem: 'web_search_call', param };
  switch (type) {
    case 'file_search':
    case 'image_generation':
    case 'mcp':
      return { feeKey: type, units: 1, callItem: `${type}_call`, param };
    case 'code_interpreter':
      return { ...container(tool['container']), callItem: 'code_interpreter_call', param };
    case 'shell': {
      // A shell in the client's own environment is client-executed; in a hosted container it is billed like one.
      const environment = tool['environment'];
      const kind = isRecord(environment) ? environment['type'] : undefined;
      if (kind === undefined || kind === 'local') return null;
      const hosted = kind === 'container_auto' ? container(environment) : container('existing');
      return { ...hosted, callItem: 'shell_call', param };
    }
    case 'tool_search':
      if (tool['execution'] === 'client') return null;
      return { feeKey: type, units: 1, callItem: 'tool_search_call', param };
    default:
      // A type runcap does not know: priced only if the tenant names a fee for it.
      return { feeKey: type, units: 1, callItem: `${type}_call`, param };
  }
}

/** The hosted tools among a Responses request's `tools`. */
export function hostedToolsOf(tools: readonly unknown[]): HostedTool[] {
  const hosted: HostedTool[] = [];
  tools.forEach((tool, index) => {
    const found = hostedTool(tool, `tools[${index}]`);
    if (found) hosted.push(found);
  });
  return hosted;
}

/** Adds one output item to the counts when it records a hosted tool call. */
export function countHostedCall(counts: Record<string, number>, item: unknown): void {
  if (!isRecord(item) || typeof item['type'] !== 'string') return;
  const type = item['type'];
  if (!type.endsWith('_call') || type === 'function_call' || type === 'custom_tool_call') return;
  counts[type] = (counts[type] ?? 0) + 1;
}

/** Hosted tool calls among a response's `output` items. */
export function hostedCallsOf(output: unknown): HostedCallCounts {
  const counts: Record<string, number> = {};
  if (Array.isArray(output)) for (const item of output) countHostedCall(counts, item);
  return counts;
}
