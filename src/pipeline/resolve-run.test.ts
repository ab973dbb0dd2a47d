import { describe, expect, it } from 'vitest';
import { validRunId } from './resolve-run.js';

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
