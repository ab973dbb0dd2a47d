// Race worker for the Redis ledger: opens dist/ledger/redis-store.js with the options in
// argv, prints "ready", waits for "go" on stdin, runs its job and prints one JSON result
// line (the same protocol as ledger-race-worker.mjs). Plain ESM so bare `node` runs it.
import { createInterface } from 'node:readline';

const config = JSON.parse(process.argv[2] ?? '{}');
let openRedisStore;
try {
  ({ openRedisStore } = await import(new URL('../../dist/ledger/redis-store.js', import.meta.url).href));
} catch (error) {
  process.stderr.write(`cannot load dist/ledger/redis-store.js (run \`npm run build\`): ${error}\n`);
  process.exit(2);
}

const store = await openRedisStore(config.options);
await store.ledger.ping();
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
await new Promise((resolve) => lines.once('line', resolve));
lines.close();

const result = { admitted: 0, blocked: 0, expired: 0, errors: [] };
const job = config.job;
if (job.op === 'reserve') {
  const attempts = Array.from({ length: job.perWorker }, (_, index) =>
    store.ledger
      .reserve({
        reservationId: `${job.idPrefix}_w${config.workerIndex}_${index}`,
        decisionId: `bdgdec_${job.idPrefix}_w${config.workerIndex}_${index}`,
        tenant: job.tenant,
        scopes: job.scopes,
        amountMicros: job.amountMicros,
        ttlMs: job.ttlMs,
        idempotencyKey: null,
        model: 'race-model',
        priceTableVersion: 'race',
        attribution: { runId: null, keyId: 'k_race', userId: null, teamId: null, feature: null, endpoint: 'race' },
      })
      .then(
        (outcome) => (outcome.kind === 'reserved' ? (result.admitted += 1) : (result.blocked += 1)),
        (error) => result.errors.push(String(error)),
      ),
  );
  await Promise.all(attempts);
} else if (job.op === 'expire') {
  try {
    result.expired = (await store.ledger.expireDue(job.nowMs)).length;
  } catch (error) {
    result.errors.push(String(error));
  }
} else {
  result.errors.push(`unknown op ${job.op}`);
}

await store.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
