// Which header names a proxied call's run (docs/design.md §2): X-Run-Id, else the first of the
// tenant's run.id_headers the call carries, else none (runcap issues one).
import { describe, expect, it } from 'vitest';
import type { TenantPolicy } from '../config/types.js';
import { namedRun, validRunId } from './resolve-run.js';

const tenant = (idHeaders: readonly string[]) => ({ run: { idHeaders } }) as unknown as TenantPolicy;
const DEFAULT = tenant(['x-claude-code-session-id', 'session-id']);

describe('namedRun', () => {
  it.each([
    ['no header', {}, DEFAULT, { runId: null, header: 'X-Run-Id' }],
    ['X-Run-Id alone', { 'x-run-id': 'r1' }, DEFAULT, { runId: 'r1', header: 'X-Run-Id' }],
    [
      'X-Run-Id over both session headers',
      { 'x-run-id': 'r1', 'x-claude-code-session-id': 'c1', 'session-id': 's1' },
      DEFAULT,
      { runId: 'r1', header: 'X-Run-Id' },
    ],
    [
      "Claude Code's session id",
      { 'x-claude-code-session-id': 'c1' },
      DEFAULT,
      { runId: 'c1', header: 'x-claude-code-session-id' },
    ],
    ["the Codex CLI's session id", { 'session-id': 's1' }, DEFAULT, { runId: 's1', header: 'session-id' }],
    [
      'the first listed header when both are sent',
      { 'session-id': 's1', 'x-claude-code-session-id': 'c1' },
      DEFAULT,
      { runId: 'c1', header: 'x-claude-code-session-id' },
    ],
    [
      'the configured order',
      { 'session-id': 's1', 'x-claude-code-session-id': 'c1' },
      tenant(['session-id', 'x-claude-code-session-id']),
      { runId: 's1', header: 'session-id' },
    ],
    [
      'an empty session header as absent',
      { 'x-claude-code-session-id': '', 'session-id': 's1' },
      DEFAULT,
      { runId: 's1', header: 'session-id' },
    ],
    [
      'an empty X-Run-Id as sent (it is refused later)',
      { 'x-run-id': '', 'session-id': 's1' },
      DEFAULT,
      { runId: '', header: 'X-Run-Id' },
    ],
    [
      'no session header when the tenant lists none',
      { 'session-id': 's1' },
      tenant([]),
      { runId: null, header: 'X-Run-Id' },
    ],
    ['an unlisted header as nothing', { 'x-session': 's1' }, DEFAULT, { runId: null, header: 'X-Run-Id' }],
  ])('takes %s', (_name, headers, policy, expected) => {
    expect(namedRun(new Headers(headers), policy)).toEqual(expected);
  });
});

describe('validRunId', () => {
  it('accepts ids of the documented characters, dots included', () => {
    for (const id of ['run-1', 'a.b', '...', 'agent:42_x', 'x'.repeat(128)]) expect(validRunId(id)).toBe(id);
    expect(validRunId(undefined)).toBeNull();
  });

  it('refuses ids no URL can name (. and ..), and any other character or length', () => {
    for (const id of ['.', '..', '', 'a/b', 'a b', 'x'.repeat(129)]) {
      expect(() => validRunId(id, 'X-Run-Id')).toThrow(expect.objectContaining({ code: 'invalid_run_id' }));
    }
  });
});
