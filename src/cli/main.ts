// The `runcap` command: serve | demo | prices import. Parses argv, nothing else.
import { ConfigError, loadConfig } from '../config/load.js';
import { PriceTableError } from '../pricing/load.js';
import { startServer } from '../server.js';
import { runPricesDiff } from './prices-diff.js';
import { runPricesImport } from './prices-import.js';

const USAGE = `usage:
  runcap serve [--port 8787] [--host 127.0.0.1] [--config runcap.yaml] [--upstream-url URL]
               [--db ./data/runcap.sqlite] [--redis-url redis://...] [--prices ./prices]
               [--mode hard_gate] [--run-limit-usd 5.00] [--admin-token T] [--log-level info]
  runcap demo
  runcap prices import --from genai-prices [--version YYYY-MM-DD] [--date YYYY-MM-DD] [--out FILE] [--force]
  runcap prices import [--from litellm] <model_prices_and_context_window.json> [--out FILE] [--version YYYY-MM-DD] [--provider openai,anthropic]
  runcap prices diff <old table or version> <new table or version> [--json]
`;

async function serveCommand(argv: readonly string[]): Promise<number> {
  let config;
  try {
    config = loadConfig({ argv, env: process.env, cwd: process.cwd() });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`runcap: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  let server;
  try {
    server = await startServer(config, { collectStartupGarbage: true });
  } catch (error) {
    if (error instanceof PriceTableError) {
      process.stderr.write(`runcap: cannot load prices: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`runcap: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const running = server;
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string): void => {
      running.deps.logger.info({ signal }, 'shutting down: draining in-flight calls');
      running.stop().then(
        () => resolve(0),
        (error: unknown) => {
          running.deps.logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

const cliOutput = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
    case undefined:
      return serveCommand(rest);
    case 'demo': {
      const { runDemo } = await import('./demo.js');
      return runDemo(rest);
    }
    case 'prices':
      if (rest[0] === 'import') return runPricesImport(rest.slice(1));
      if (rest[0] === 'diff') return runPricesDiff(rest.slice(1), cliOutput);
      process.stderr.write(USAGE);
      return 2;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`runcap: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`runcap: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
