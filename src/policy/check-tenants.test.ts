import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, shippedPricesPath } from '../config/load.js';
import { loadPriceCatalog } from '../pricing/load.js';
import { checkTenantsAgainstPrices } from './check-tenants.js';

const dir = mkdtempSync(join(tmpdir(), 'runcap-check-'));
const catalog = loadPriceCatalog(shippedPricesPath());
const check = (yaml: string): string[] => {
  const path = join(dir, 'c.yaml');
  writeFileSync(path, yaml);
  return checkTenantsAgainstPrices(loadConfig({ argv: ['--config', path], env: {}, cwd: dir }), catalog);
};

describe('tenant policy against the price tables', () => {
  it('accepts the shipped defaults and chains of priced models', () => {
    expect(check('tenants: { default: { downgrade_chains: { gpt-4o: [gpt-4o-mini] } } }')).toEqual([]);
  });
  it('names a pinned version that does not exist', () => {
    expect(check('tenants: { default: { price_table_version: "1999-01-01" } }')).toEqual([
      expect.stringContaining('tenants.default.price_table_version: no price table "1999-01-01"'),
    ]);
  });
  it('names an unpriced model in a downgrade chain', () => {
    expect(check('tenants: { default: { downgrade_chains: { gpt-4o: [gpt-0-tiny] } } }')).toEqual([
      expect.stringContaining('tenants.default.downgrade_chains.gpt-4o: "gpt-0-tiny" has no price'),
    ]);
  });
});
