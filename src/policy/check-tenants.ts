// Start-up checks of tenant policy against the loaded price tables: a pinned table
// version must exist, and downgrade chains must name priced models. Pure.
import type { Config } from '../config/types.js';
import type { PriceCatalog } from '../pricing/load.js';
import { lookupModel } from '../pricing/lookup.js';

/** Every problem found, each naming the config path; empty when the policy is consistent. */
export function checkTenantsAgainstPrices(config: Config, catalog: PriceCatalog): string[] {
  const problems: string[] = [];
  for (const tenant of config.tenants.values()) {
    const where = `tenants.${tenant.name}`;
    const pinned = tenant.priceTableVersion;
    if (pinned !== null && !catalog.byVersion.has(pinned)) {
      problems.push(
        `${where}.price_table_version: no price table "${pinned}" (loaded: ${[...catalog.byVersion.keys()].join(', ')})`,
      );
      continue;
    }
    const table = (pinned === null ? undefined : catalog.byVersion.get(pinned)) ?? catalog.latest;
    for (const [model, chain] of tenant.downgradeChains) {
      for (const name of [model, ...chain]) {
        if (!lookupModel(table, name, tenant.priceOverrides).found) {
          problems.push(
            `${where}.downgrade_chains.${model}: "${name}" has no price in table ${table.version} or the tenant's price_overrides`,
          );
        }
      }
    }
  }
  return problems;
}
