// Runs the shared ledger contract against the Redis store at RUNCAP_TEST_REDIS_URL: once
// with a fake clock and multi-process races, once on Redis TIME. Each test uses its own
// random key prefix. Without the variable the suite is skipped, visibly.
import { afterAll, describe, it } from 'vitest';
import { runLedgerContract } from './support/ledger-contract.js';
import { createRedisHarness, REDIS_SKIP_MESSAGE } from './support/redis-harness.js';

const url = process.env.RUNCAP_TEST_REDIS_URL;

if (url === undefined || url === '') {
  console.warn(REDIS_SKIP_MESSAGE);
  describe.skip(REDIS_SKIP_MESSAGE, () => {
    it('runs the ledger contract against Redis', () => undefined);
  });
} else {
  const harness = createRedisHarness(url);
  afterAll(() => harness.dispose());
  runLedgerContract('redis (fake clock, multi-process)', harness.fakeClock, { multiProcess: true });
  runLedgerContract('redis (Redis TIME)', harness.realClock);
}
