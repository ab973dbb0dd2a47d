// The door of the catalog import (docs/pricing.md "Where the prices come from"): what
// `runcap prices import --from genai-prices` and its tests use. Nothing at run time imports it.
export { CatalogError } from './catalog-error.js';
export { parseCuration, type Curation, type CuratedModel } from './curation.js';
export { checkGenaiProviders, readGenaiModel, type CatalogModel, type CatalogRates } from './genai-prices.js';
export { importCatalogs, type CatalogImport, type CatalogInput, type CatalogSource } from './import.js';
