import { describe, expect, it } from 'vitest';
import { hostedCallsOf, hostedToolsOf } from './hosted-tools.js';

const one = (tool: Record<string, unknown>) => hostedToolsOf([tool])[0] ?? null;

describe('hostedToolsOf', () => {
  it('ignores tools the client executes', () => {
    const clientSide = [
      { type: 'function', name: 'f' },
      { type: 'custom', name: 'c' },
      { type: 'namespace', name: 'n', tools: [] },
      { type: 'local_shell' },
      { type: 'apply_patch' },
      { type: 'computer_use_preview', display_width: 1, display_height: 1, environment: 'browser' },
      { type: 'shell' },
      { type: 'shell', environment: { type: 'local' } },
      { type: 'tool_search', execution: 'client' },
    ];
    expect(hostedToolsOf(clientSide)).toEqual([]);
  });

  it.each([
    [{ type: 'web_search' }, 'web_search', 1, 'web_search_call'],
    [{ type: 'web_search_2025_08_26' }, 'web_search', 1, 'web_search_call'],
    [{ type: 'web_search_preview_2025_03_11' }, 'web_search_preview', 1, 'web_search_call'],
    [{ type: 'file_search', vector_store_ids: ['vs_1'] }, 'file_search', 1, 'file_search_call'],
    [{ type: 'image_generation' }, 'image_generation', 1, 'image_generation_call'],
    [{ type: 'mcp', server_label: 'x' }, 'mcp', 1, 'mcp_call'],
    [{ type: 'code_interpreter', container: { type: 'auto' } }, 'code_interpreter', 1, 'code_interpreter_call'],
    [
      { type: 'code_interpreter', container: { type: 'auto', memory_limit: '16g' } },
      'code_interpreter',
      16,
      'code_interpreter_call',
    ],
    [{ type: 'code_interpreter', container: 'cntr_1' }, 'code_interpreter_container', 1, 'code_interpreter_call'],
    [
      { type: 'code_interpreter', container: { type: 'auto', memory_limit: '8g' } },
      'code_interpreter_8g',
      1,
      'code_interpreter_call',
    ],
    [
      { type: 'shell', environment: { type: 'container_auto', memory_limit: '4g' } },
      'code_interpreter',
      4,
      'shell_call',
    ],
    [
      { type: 'shell', environment: { type: 'container_reference', container_id: 'c' } },
      'code_interpreter_container',
      1,
      'shell_call',
    ],
    [{ type: 'tool_search' }, 'tool_search', 1, 'tool_search_call'],
    [{ type: 'programmatic_tool_calling' }, 'programmatic_tool_calling', 1, 'programmatic_tool_calling_call'],
  ])('classifies %j', (tool, feeKey, units, callItem) => {
    expect(one(tool)).toEqual({ feeKey, units, callItem, param: 'tools[0]' });
  });

  it('names each hosted tool by its place in the request', () => {
    expect(hostedToolsOf([{ type: 'function', name: 'f' }, { type: 'web_search' }]).map((t) => t.param)).toEqual([
      'tools[1]',
    ]);
  });
});

describe('hostedCallsOf', () => {
  it('counts hosted call items by type, not messages, reasoning or client-side calls', () => {
    const output = [
      { type: 'web_search_call', id: 'ws_1' },
      { type: 'reasoning', id: 'rs_1' },
      { type: 'web_search_call', id: 'ws_2' },
      { type: 'code_interpreter_call', id: 'ci_1' },
      { type: 'function_call', id: 'fc_1' },
      { type: 'custom_tool_call', id: 'ct_1' },
      { type: 'message', id: 'msg_1' },
    ];
    expect(hostedCallsOf(output)).toEqual({ web_search_call: 2, code_interpreter_call: 1 });
    expect(hostedCallsOf(null)).toEqual({});
  });
});
