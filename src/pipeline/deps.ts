// What the pipeline needs from the outside world, handed in by main.ts (or a test).
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Store } from '../ledger/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { PriceCatalog } from '../pricing/load.js';
import type { Tokenizer } from '../estimate/types.js';
import type { UpstreamClient } from '../proxy/upstream.js';
import type { BackgroundTracker } from './background.js';
import type { EventHub } from './events.js';
import type { KeyVerdicts } from './key-verdicts.js';
import type { KnownRuns } from './known-runs.js';
import type { TaskTracker } from './tasks.js';

export interface PipelineDeps {
  readonly config: Config;
  readonly store: Store;
  readonly catalog: PriceCatalog;
  readonly tokenizer: Tokenizer;
  readonly upstream: UpstreamClient;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Background settlements, awaited at shutdown. */
  readonly tasks: TaskTracker;
  /** Background responses whose client left, followed to their end (docs/background.md). */
  readonly background: BackgroundTracker;
  /** What the provider said about passthrough keys (junk keys write nothing). */
  readonly keyVerdicts: KeyVerdicts;
  /** The live feed of decisions and settlements (GET /budget/events). */
  readonly events: EventHub;
  /** Named runs this instance opened (skipped on later calls when the ledger checks runs). */
  readonly knownRuns: KnownRuns;
  readonly clock: () => number;
}
