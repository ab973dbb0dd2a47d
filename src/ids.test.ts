import { describe, expect, it } from 'vitest';
import { newDecisionId, newReservationId, newRunId, ulid } from './ids.js';

describe('ids', () => {
  it('are ULIDs with runcap prefixes, time-ordered and unique', () => {
    expect(newRunId()).toMatch(/^run_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(newDecisionId()).toMatch(/^bdgdec_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(newReservationId()).toMatch(/^rsv_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(ulid(0).slice(0, 10)).toBe('0000000000');
    expect(ulid(1_700_000_000_000) < ulid(1_700_000_000_001)).toBe(true);
    const ids = new Set(Array.from({ length: 5000 }, () => ulid(1_700_000_000_000)));
    expect(ids.size).toBe(5000);
  });
});
