// Parses human durations ("90s", "15m", "24h", "7d") into milliseconds. Pure.

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+)(ms|s|m|h|d)$/;

/** Returns milliseconds, or null when the text is not a duration like "24h". */
export function parseDurationMs(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]);
  const unit = match[2] as keyof typeof UNIT_MS;
  const ms = value * UNIT_MS[unit];
  return Number.isSafeInteger(ms) && ms > 0 ? ms : null;
}
