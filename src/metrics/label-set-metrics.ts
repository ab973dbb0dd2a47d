// Counters and histograms that runcap counts itself, per label set, and hands to prom-client's
// registry when it is scraped. prom-client 15 validates and hashes the labels of every
// observation, builds a closure for it and looks its bucket up by the bound's string form; at
// ~8 observations a call that was ~2% of runcap's CPU. Here an observation is one key built
// from the label values, one Map lookup and a few additions.
//
// What a scrape shows must be exactly what prom-client's own Counter and Histogram show for
// the same calls (test/metrics-exposition.test.ts compares the two byte for byte): the same
// values objects (`get()`, and `getForPromString()` for a histogram, which the registry formats),
// label sets in the order first seen, each with the label object it was first seen with, sums
// added in call order, the same errors for a non-finite or negative value. Nothing here
// formats text: the registry does, as it does for its own metrics.
import util from 'node:util';
import type { Metric, Registry } from 'prom-client';

type LabelValues<T extends string> = Partial<Record<T, string | number>>;

interface Definition<T extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly T[];
  readonly registers: readonly Registry[];
}

/** prom-client's key for a label set: `name:value,` over the sorted label names, unset ones skipped. */
function keyOf(sortedNames: readonly string[], labels: Readonly<Record<string, unknown>>): string {
  let key = '';
  for (const name of sortedNames) {
    const value = labels[name];
    if (value !== undefined) key += `${name}:${String(value)},`;
  }
  return key;
}

function register(metric: object, registers: readonly Registry[]): void {
  // The registry reads a metric through `get()` / `getForPromString()`, `name`, `type` and
  // `reset()` only; its type names prom-client's own classes.
  for (const registry of registers) registry.registerMetric(metric as Metric);
}

interface CounterSeries<T extends string> {
  value: number;
  readonly labels: LabelValues<T>;
}

export class LabelSetCounter<T extends string = string> {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly T[];
  private readonly sortedNames: readonly T[];
  private series = new Map<string, CounterSeries<T>>();

  constructor(definition: Definition<T>) {
    this.name = definition.name;
    this.help = definition.help;
    this.labelNames = definition.labelNames ?? [];
    this.sortedNames = [...this.labelNames].sort();
    this.reset();
    register(this, definition.registers);
  }

  inc(labels?: LabelValues<T> | number, value?: number): void {
    let key = '';
    let set: LabelValues<T>;
    if (typeof labels === 'object' && labels !== null) {
      set = labels;
      key = keyOf(this.sortedNames, labels);
    } else {
      value = labels;
      set = {};
    }
    if (value && !Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${util.format(value)}`);
    if (value !== undefined && value < 0) throw new Error('It is not possible to decrease a counter');
    const by = value ?? 1;
    const series = this.series.get(key);
    if (series) series.value += by;
    else this.series.set(key, { value: by, labels: set });
  }

  reset(): void {
    this.series = new Map();
    if (this.labelNames.length === 0) this.series.set('', { value: 0, labels: {} });
  }

  get(): Promise<{
    help: string;
    name: string;
    type: 'counter';
    values: CounterSeries<T>[];
    aggregator: 'sum';
  }> {
    return Promise.resolve({
      help: this.help,
      name: this.name,
      type: this.type,
      values: [...this.series.values()],
      aggregator: this.aggregator,
    });
  }
}

interface HistogramSeries<T extends string> {
  readonly labels: LabelValues<T>;
  /** Observations per bucket (not cumulative), in the order of the upper bounds. */
  readonly counts: number[];
  sum: number;
  count: number;
}

interface HistogramValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string | number>;
  value: number;
  metricName: string;
  exemplar?: null;
}

export class LabelSetHistogram<T extends string = string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly T[];
  readonly buckets: readonly number[];
  private readonly sortedNames: readonly T[];
  private series = new Map<string, HistogramSeries<T>>();

  constructor(definition: Definition<T> & { readonly buckets: readonly number[] }) {
    this.name = definition.name;
    this.help = definition.help;
    this.labelNames = definition.labelNames ?? [];
    for (const label of this.labelNames) if (label === 'le') throw new Error('le is a reserved label keyword');
    this.sortedNames = [...this.labelNames].sort();
    this.buckets = [...definition.buckets];
    this.reset();
    register(this, definition.registers);
  }

  observe(labels: LabelValues<T> | number, value?: number): void {
    if (typeof labels === 'object') this.add(labels, keyOf(this.sortedNames, labels), value as number);
    else this.add({}, '', labels);
  }

  /** Starts a timer; the function it returns observes the seconds since then and returns them. */
  startTimer(labels?: LabelValues<T>): (endLabels?: LabelValues<T>) => number {
    const start = process.hrtime();
    return (endLabels) => {
      const delta = process.hrtime(start);
      const value = delta[0] + delta[1] / 1e9;
      // No end labels: the start labels as they are (the same keys in the same order as a copy).
      this.observe(endLabels === undefined ? (labels ?? {}) : Object.assign({}, labels, endLabels), value);
      return value;
    };
  }

  reset(): void {
    this.series = new Map();
    if (this.labelNames.length === 0) this.series.set('', this.empty({}));
  }

  private empty(labels: LabelValues<T>): HistogramSeries<T> {
    return { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }

  private add(labels: LabelValues<T>, key: string, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${util.format(value)}`);
    let series = this.series.get(key);
    if (!series) {
      series = this.empty(labels);
      this.series.set(key, series);
    }
    const buckets = this.buckets;
    for (let i = 0; i < buckets.length; i += 1) {
      if (value <= (buckets[i] as number)) {
        (series.counts[i] as number) += 1;
        break;
      }
    }
    series.sum += value;
    series.count += 1;
  }

  /** What the registry formats: per label set the cumulative buckets, +Inf, sum and count. */
  getForPromString(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: HistogramValue[];
    aggregator: 'sum';
  }> {
    const values: HistogramValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const series of this.series.values()) {
      const shared = series.labels as Record<string, string | number>;
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push({
          labels: { le: bound },
          sharedLabels: shared,
          value: cumulative,
          metricName: bucketName,
          exemplar: null,
        });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: shared, value: series.count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels: shared, value: series.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        {
          labels: {},
          sharedLabels: shared,
          value: series.count,
          metricName: `${this.name}_count`,
          exemplar: undefined,
        },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The same values with each set's labels folded into every value's own (prom-client's `get()`). */
  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: HistogramValue[];
    aggregator: 'sum';
  }> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => {
      for (const label of Object.keys(sharedLabels ?? {})) labels[label] = (sharedLabels ?? {})[label] as string;
      return { ...rest, labels };
    });
    return data;
  }
}
