// Why a call was refused, in a sentence, from its decision record's block (docs/api.md, the run's
// calls): the ceiling that did not fit with its figures, or the runaway brake that held. Pure.
import { usd } from './money.js';
import type { CallBlock, ScopeView } from './types.js';

const SCOPE_TITLES: Readonly<Record<string, string>> = {
  run: 'Run',
  key: 'Key',
  user: 'User',
  team: 'Team',
  feature: 'Feature',
};

export function blockReason(block: CallBlock, estimateUsd: string | null): string {
  const brake = block.brake;
  if (brake?.kind === 'loop') {
    return (
      `Loop brake: this call would have repeated the same step ${String(brake['repeats'])} times in a row ` +
      `(run ${brake.run_id} allows ${String(brake['max_repeated_steps'])}).`
    );
  }
  if (brake?.kind === 'velocity') {
    const retry = brake['retry_after_ms'];
    return (
      `Velocity brake: run ${brake.run_id} spent ${usd(str(brake['spent_last_minute_usd']))} in the last minute ` +
      `of ${usd(str(brake['limit_usd_per_minute']))} allowed per minute` +
      (typeof retry === 'number' ? `; it fits again in ${Math.ceil(retry / 1000)} s.` : '; this call never fits.')
    );
  }
  const scope = block.blocking_scope;
  const need =
    estimateUsd === null ? 'this call did not fit' : `this call's worst case, ${usd(estimateUsd)}, did not fit`;
  if (scope !== null) return `${ceilingName(block.code, scope)}: ${scopeFigures(scope)}; ${need}.`;
  return block.code === null ? 'Refused.' : `Refused: ${block.code}.`;
}

function ceilingName(code: string | null, scope: ScopeView): string {
  const window = scope.window === 'none' ? '' : `, ${scope.window} window`;
  const title = code === 'parent_run_ceiling_reached' ? 'Parent run' : (SCOPE_TITLES[scope.type] ?? scope.type);
  return `${title} ceiling reached (${scope.type} ${scope.id}${window})`;
}

function scopeFigures(scope: ScopeView): string {
  const of = scope.limit_usd === null ? '' : ` of ${usd(scope.limit_usd)}`;
  return `${usd(scope.committed_usd)} spent and ${usd(scope.reserved_usd)} held${of}`;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
