// Builds the frozen Config from flags, environment and an optional JSON/YAML file
// (flags win over env, env over the file). Reads only what it is handed; nothing at import time.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configFileSchema, type ConfigFile } from './schema.js';
import { resolveConfig } from './resolve.js';
import type { Config } from './types.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ConfigSources {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

interface Override {
  readonly flag: string;
  readonly env: string;
  readonly path: readonly string[];
  readonly integer?: boolean;
}

/** The public flag/env names of docs/design.md §10 and where each lands in the file's shape. */
const OVERRIDES: readonly Override[] = [
  { flag: 'port', env: 'RUNCAP_PORT', path: ['server', 'port'], integer: true },
  { flag: 'host', env: 'RUNCAP_HOST', path: ['server', 'host'] },
  { flag: 'upstream-url', env: 'RUNCAP_UPSTREAM_URL', path: ['upstreams', 'openai', 'base_url'] },
  { flag: 'db', env: 'RUNCAP_DB', path: ['ledger', 'sqlite'] },
  { flag: 'redis-url', env: 'RUNCAP_REDIS_URL', path: ['ledger', 'redis'] },
  { flag: 'prices', env: 'RUNCAP_PRICES', path: ['prices'] },
  { flag: 'mode', env: 'RUNCAP_MODE', path: ['tenants', 'default', 'mode'] },
  { flag: 'run-limit-usd', env: 'RUNCAP_RUN_LIMIT_USD', path: ['tenants', 'default', 'run', 'default_limit_usd'] },
  { flag: 'admin-token', env: 'RUNCAP_ADMIN_TOKEN', path: ['admin_token'] },
  { flag: 'log-level', env: 'RUNCAP_LOG_LEVEL', path: ['log_level'] },
];

const CONFIG_FLAG = 'config';
const CONFIG_ENV = 'RUNCAP_CONFIG';

export const FLAG_NAMES: readonly string[] = [CONFIG_FLAG, ...OVERRIDES.map((o) => o.flag)];

/** Where the shipped price tables live: <package>/prices, two levels above this module (src/ or dist/). */
export function shippedPricesPath(): string {
  return fileURLToPath(new URL('../../prices/', import.meta.url));
}

export function loadConfig(sources: ConfigSources): Config {
  const flags = parseFlags(sources.argv);
  const configPath = flags.get(CONFIG_FLAG) ?? sources.env[CONFIG_ENV];
  const raw: Record<string, unknown> = configPath ? readConfigFile(resolve(sources.cwd, configPath)) : {};
  const origin = new Map<string, string>();

  for (const override of OVERRIDES) {
    const fromFlag = flags.get(override.flag);
    const fromEnv = sources.env[override.env];
    const value = fromFlag ?? (fromEnv === '' ? undefined : fromEnv);
    if (value === undefined) continue;
    const source = fromFlag !== undefined ? `--${override.flag}` : override.env;
    setPath(raw, override.path, override.integer ? toInteger(value, source) : value);
    origin.set(override.path.join('.'), source);
    if (override.flag === 'upstream-url') ensureDefaultKeyEnv(raw);
  }

  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, origin, configPath));
  try {
    return resolveConfig(parsed.data as ConfigFile, {
      env: sources.env,
      cwd: sources.cwd,
      pricesPath: shippedPricesPath(),
    });
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${(error as Error).message}`);
  }
}

function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}" (flags look like --port 8787)`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!FLAG_NAMES.includes(name)) {
      throw new ConfigError(`unknown flag --${name}; known flags: ${FLAG_NAMES.map((f) => `--${f}`).join(', ')}`);
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new ConfigError(`flag --${name} needs a value`);
    flags.set(name, value);
  }
  return flags;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError(`config file ${path} must hold an object at the top level`);
  return data as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[path[path.length - 1] ?? ''] = value;
}

function ensureDefaultKeyEnv(raw: Record<string, unknown>): void {
  const openai = (raw.upstreams as Record<string, Record<string, unknown>>).openai;
  if (openai && openai.api_key_env === undefined) openai.api_key_env = 'OPENAI_API_KEY';
}

function toInteger(value: string, source: string): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(`${source}: must be an integer, got "${value}"`);
  return Number(value);
}

function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  origin: ReadonlyMap<string, string>,
  file: string | undefined,
): string {
  const lines = issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(top level)';
    const source = origin.get(path) ?? (file ? `file ${file}` : 'defaults');
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    return `  ${path} (from ${source}): ${issue.message}${keys}`;
  });
  return `invalid configuration:\n${lines.join('\n')}`;
}
