// `runcap demo`: starts the simulated provider and a real runcap in-process on free local ports,
// runs the simulated agent through runcap, and reports what runcap decided and what its ledger
// charged. No network, no API key. Owns start-up, teardown and Ctrl-C; the budget logic stays in runcap.
import OpenAI from 'openai';
import { loadConfig } from '../config/load.js';
import { parseUsd, type Micros } from '../money/micros.js';
import { startServer, type RunningServer } from '../server.js';
import { runAgent, type AgentOutcome } from '../demo/agent.js';
import { createRenderer, type DemoOutput, type DemoRenderer } from '../demo/render.js';
import { startSimProvider, type SimProvider } from '../demo/sim-provider.js';

export interface DemoIo {
  readonly out: DemoOutput;
  /** Usage errors. Default: process.stderr. */
  readonly err?: DemoOutput;
  /** Live view (colors, a redrawn bar) when true; plain lines without ANSI codes when false. */
  readonly tty: boolean;
  /** Whether Ctrl-C (SIGINT) stops the demo; off when a host process owns its signals. */
  readonly handleSigint: boolean;
}

const USAGE = `usage: runcap demo [--plain]
  Runs a simulated agent through a real runcap against a simulated provider: no network, no API key.
  --plain   line-per-step output without colors (the default when stdout is not a terminal)
`;

const RUN_ID = 'demo-run';
const CEILING_USD = '0.50';
const PROVIDER_KEY = 'sk-demo';
const TENANT = 'default';
const AGENT = {
  primaryModel: 'gpt-4.1',
  cheaperModel: 'gpt-4.1-mini',
  downshiftBelowPercent: 30,
  parallel: 3,
  maxSteps: 40,
  maxOutputTokens: 400,
  fileLines: 28,
} as const;

function defaultIo(): DemoIo {
  return { out: process.stdout, tty: process.stdout.isTTY === true && !process.env.NO_COLOR, handleSigint: true };
}

export async function runDemo(argv: readonly string[], io: DemoIo = defaultIo()): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out.write(USAGE);
    return 0;
  }
  const unknown = argv.find((arg) => arg !== '--plain');
  if (unknown !== undefined) {
    (io.err ?? process.stderr).write(`runcap demo: unknown argument "${unknown}"\n${USAGE}`);
    return 2;
  }
  const tty = io.tty && !argv.includes('--plain');
  const render = createRenderer(io.out, { tty });
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  if (io.handleSigint) process.once('SIGINT', onSigint);
  // `runcap demo | head`: a reader that goes away ends the demo quietly instead of crashing it on
  // EPIPE. The listener stays for the life of the process, so a late EPIPE cannot crash it either.
  let outputClosed = false;
  const onOutputError = (): void => {
    outputClosed = true;
    abort.abort();
  };
  if (io.out === process.stdout) process.stdout.on('error', onOutputError);

  let sim: SimProvider | null = null;
  let server: RunningServer | null = null;
  try {
    // A watchable pace on a terminal; as fast as it goes otherwise (tests, CI logs).
    sim = await startSimProvider(
      tty
        ? { apiKey: PROVIDER_KEY, latencyMs: 150, msPer1kPromptTokens: 12, chunkDelayMs: 6 }
        : { apiKey: PROVIDER_KEY, latencyMs: 5, msPer1kPromptTokens: 0, chunkDelayMs: 0 },
    );
    const config = loadConfig({
      argv: [
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--upstream-url',
        sim.url,
        '--db',
        ':memory:',
        '--mode',
        'hard_gate',
        '--run-limit-usd',
        CEILING_USD,
        '--log-level',
        'silent',
      ],
      env: {},
      cwd: process.cwd(),
    });
    server = await startServer(config);
    return await drive(server, sim, render, abort.signal);
  } catch (error) {
    if (abort.signal.aborted) {
      if (outputClosed) return 0;
      render.note('\ninterrupted: stopping runcap and the simulated provider');
      return 130;
    }
    throw error;
  } finally {
    if (io.handleSigint) process.removeListener('SIGINT', onSigint);
    await server?.stop();
    await sim?.close();
  }
}

async function drive(
  server: RunningServer,
  sim: SimProvider,
  render: DemoRenderer,
  signal: AbortSignal,
): Promise<number> {
  const ceilingMicros = parseUsd(CEILING_USD);
  const client = new OpenAI({
    baseURL: `${server.url}/v1`,
    apiKey: PROVIDER_KEY,
    maxRetries: 0,
    defaultHeaders: { 'X-Run-Id': RUN_ID, 'X-Run-Budget-USD': CEILING_USD },
  });
  render.intro({
    providerUrl: sim.url,
    runcapUrl: `${server.url}/v1`,
    ledger: 'sqlite :memory:',
    runId: RUN_ID,
    ceilingMicros,
    ...AGENT,
  });

  let spentMicros = 0;
  let allowed = 0;
  let blocked = 0;
  let downshifts = 0;
  const outcome: AgentOutcome = await runAgent({ client, ceilingMicros, signal, ...AGENT }, async (event) => {
    if (event.kind === 'calling') render.calling(event.step, event.model);
    else if (event.kind === 'downshift') {
      downshifts += 1;
      render.downshift(event.step, event.from, event.to, event.remainingMicros, event.thresholdMicros);
    } else {
      const view = await settledRunView(server);
      allowed += event.calls.filter((c) => c.problem === null).length;
      blocked += event.calls.filter((c) => c.problem !== null).length;
      render.step({
        step: event.step,
        model: event.model,
        calls: event.calls,
        stepCostMicros: view.committedMicros - spentMicros,
        spentMicros: view.committedMicros,
      });
      spentMicros = view.committedMicros;
    }
  });

  if (outcome.kind === 'blocked') render.blocked(outcome.problem);
  else render.note(`the agent stopped after ${outcome.steps} steps without reaching the ceiling`);
  const final = await settledRunView(server);
  render.summary({
    spentMicros: final.committedMicros,
    ceilingMicros: final.limitMicros,
    reservedMicros: final.reservedMicros,
    runId: RUN_ID,
    steps: outcome.steps,
    allowed,
    blocked,
    downshifts,
  });
  return outcome.kind === 'blocked' && final.committedMicros <= final.limitMicros && final.reservedMicros === 0 ? 0 : 1;
}

interface RunTotals {
  readonly limitMicros: Micros;
  readonly committedMicros: Micros;
  readonly reservedMicros: Micros;
}

/** The run scope as runcap's ledger holds it, once every call of the step has settled (streams settle as they end). */
async function settledRunView(server: RunningServer): Promise<RunTotals> {
  const { store } = server.deps;
  for (let attempt = 0; ; attempt++) {
    const run = await store.runs.get(TENANT, RUN_ID);
    if (!run) throw new Error(`runcap demo: run ${RUN_ID} is not in the ledger`);
    const [view] = await store.ledger.view(TENANT, [
      { type: 'run', id: RUN_ID, window: 'none', limitMicros: run.limitMicros, mode: 'hard_gate' },
    ]);
    if (!view) throw new Error('runcap demo: the ledger returned no run scope');
    if (view.reservedMicros === 0 || attempt >= 200) {
      return {
        limitMicros: run.limitMicros,
        committedMicros: view.committedMicros,
        reservedMicros: view.reservedMicros,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
