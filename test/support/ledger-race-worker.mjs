// Race worker for the ledger contract suite: opens the store named in argv from the
// compiled dist/ledger (dist/ledger/index.js; dist/ledger/redis/index.js for Redis), prints
// "ready", waits for "go" on stdin, runs its job and prints one JSON result line. Plain ESM so it runs with bare `node` (no TS loader).
import { createInterface } from 'node:readline';

const config = JSON.parse(process.argv[2] ?? '{}');
// The SQLite opener is on the ledger's door; the Redis one behind its own folder's door.
const modules = { sqlite: '../../dist/ledger/index.js', redis: '../../dist/ledger/redis/index.js' };
const openers = { sqlite: 'openSqliteStore', redis: 'openRedisStore' };
const path = modules[config.backend];
let ledgerModule;
try {
  ledgerModule = await import(new URL(path ?? '../../dist/ledger/index.js', import.meta.url).href);
} catch (error) {
  process.stderr.write(`cannot load ${path} (run \`npm run build\`): ${error}\n`);
  process.exit(2);
}

const open = ledgerModule[openers[config.backend]];
if (typeof open !== 'function') {
  process.stderr.write(`${path} exports no opener for backend ${config.backend}\n`);
  process.exit(2);
}

const store = await open(config.options);
await store.ledger.ping();
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
await new Promise((resolve) => lines.once('line', resolve));
lines.close();

const JITTER_MS = 100;
const result = { admitted: 0, blocked: 0, expired: 0, errors: [] };
const job = config.job;
if (job.op === 'reserve') {
  // Spread the attempts over ~JITTER_MS so the processes' reserves interleave (a synchronous
  // driver would otherwise run one worker's whole burst inside a few milliseconds).
  const jitter = () => new Promise((resolve) => setTimeout(resolve, Math.random() * JITTER_MS));
  const attempts = Array.from({ length: job.perWorker }, (_, index) =>
    jitter()
      .then(() =>
        store.ledger.reserve({
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
          ...(job.brakes === undefined ? {} : { brakes: job.brakes }),
        }),
      )
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
