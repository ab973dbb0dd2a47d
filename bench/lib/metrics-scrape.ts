// Reads a histogram's _sum and _count from runcap's /metrics (Prometheus text format).

export interface HistogramTotals {
  readonly sum: number;
  readonly count: number;
}

export async function scrapeHistogram(baseUrl: string, name: string, labels: string): Promise<HistogramTotals> {
  const response = await fetch(`${baseUrl}/metrics`);
  const text = await response.text();
  const read = (suffix: string): number => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}${suffix}{${labels}}`));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return { sum: read('_sum'), count: read('_count') };
}

export async function scrapeGauge(baseUrl: string, name: string): Promise<number> {
  const response = await fetch(`${baseUrl}/metrics`);
  const text = await response.text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}
