// The exposition of runcap's own counters and histograms against prom-client's Counter and
// Histogram given the same calls: byte for byte, for every counter and histogram createMetrics
// defines (names, HELP, TYPE, labels in first-seen order, bucket bounds, values), and the same
// `get()` objects.
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabelSetCounter, LabelSetHistogram } from './label-set-metrics.js';
import { createMetrics } from './metrics.js';

type Target = LabelSetCounter | LabelSetHistogram | Counter | Histogram;

interface Pair {
  readonly name: string;
  readonly labelNames: readonly string[];
  readonly ours: LabelSetCounter | LabelSetHistogram;
  readonly theirs: Counter | Histogram;
}

/** createMetrics' counters and histograms, each beside prom-client's own built from the same definition. */
function pairs(): { ours: Registry; theirs: Registry; list: Pair[] } {
  const metrics = createMetrics({ defaultMetrics: false });
  const theirs = new Registry();
  const list: Pair[] = [];
  for (const metric of metrics.registry.getMetricsAsArray() as unknown[]) {
    if (metric instanceof LabelSetCounter) {
      const { name, help, labelNames } = metric;
      list.push({
        name,
        labelNames,
        ours: metric,
        theirs: new Counter({ name, help, labelNames, registers: [theirs] }),
      });
    } else if (metric instanceof LabelSetHistogram) {
      const { name, help, labelNames, buckets } = metric;
      const reference = new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [theirs] });
      list.push({ name, labelNames, ours: metric, theirs: reference });
    }
  }
  return { ours: metrics.registry, theirs, list };
}

async function exposition(registry: Registry, names: readonly string[]): Promise<string> {
  const parts = await Promise.all(names.map((name) => registry.getSingleMetricAsString(name)));
  return parts.join('\n\n');
}

function apply(target: Target, labels: Record<string, string> | null, value: number | undefined): void {
  if (target instanceof LabelSetCounter || target instanceof Counter) {
    if (labels === null) target.inc(value);
    else target.inc(labels, value);
  } else if (labels === null) target.observe(value as number);
  else target.observe(labels, value as number);
}

const VALUE = fc.oneof(
  fc.constantFrom(0, 1, 0.0005, 0.001, 0.1, 1.1, 2.5, 60, 120, 1000, 1e6 / 1e6, 14 / 1e6, 250_000 / 1e6),
  fc.double({ min: 0, max: 2_000, noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 0, max: 5_000_000 }).map((micros) => micros / 1e6),
);

const CALL = fc.record({
  metric: fc.nat(),
  labelValues: fc.array(fc.constantFrom('chat', 'responses', '200', 'sqlite', 'a"b', 'x\\y', 'line\nbreak', 'true'), {
    minLength: 4,
    maxLength: 4,
  }),
  order: fc.nat(),
  omit: fc.nat({ max: 7 }),
  value: fc.option(VALUE, { nil: undefined }),
});

describe('runcap counters and histograms vs prom-client', () => {
  it('expose the same text and the same values for the same calls', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(CALL, { maxLength: 200 }), async (calls) => {
        const { ours, theirs, list } = pairs();
        for (const call of calls) {
          const pair = list[call.metric % list.length] as Pair;
          let labels: Record<string, string> | null = null;
          if (pair.labelNames.length > 0) {
            // Label objects in varying key order, now and then one label left out.
            const names = [...pair.labelNames];
            const shift = call.order % names.length;
            labels = {};
            for (const [i, name] of [...names.slice(shift), ...names.slice(0, shift)].entries()) {
              if (call.omit === i + 1) continue;
              labels[name] = call.labelValues[i] as string;
            }
          }
          const isCounter = pair.ours instanceof LabelSetCounter;
          const value = isCounter ? call.value : (call.value ?? 0.25);
          apply(pair.ours, labels, value);
          apply(pair.theirs, labels, value);
        }
        const names = list.map((pair) => pair.name);
        expect(await exposition(ours, names)).toBe(await exposition(theirs, names));
        for (const pair of list) expect(await pair.ours.get()).toEqual(await pair.theirs.get());
      }),
      { numRuns: 150 },
    );
  });

  it('show metrics nothing has touched yet as prom-client does (unlabelled at zero, labelled absent)', async () => {
    const { ours, theirs, list } = pairs();
    const names = list.map((pair) => pair.name);
    const text = await exposition(ours, names);
    expect(text).toBe(await exposition(theirs, names));
    expect(text).toContain('runcap_reserved_usd_total 0');
    expect(text).not.toContain('runcap_decisions_total{');
  });

  it('refuse what prom-client refuses, with the same errors', () => {
    const { list } = pairs();
    const counter = list.find((pair) => pair.name === 'runcap_reserved_usd_total') as Pair;
    const histogram = list.find((pair) => pair.name === 'runcap_overhead_seconds') as Pair;
    for (const bad of [-1, Infinity]) {
      expect(() => apply(counter.ours, null, bad)).toThrow();
      expect(() => apply(counter.ours, null, bad)).toThrow(
        (() => {
          try {
            apply(counter.theirs, null, bad);
          } catch (error) {
            return (error as Error).message;
          }
          return 'no error';
        })(),
      );
    }
    for (const bad of [NaN, Infinity, -Infinity]) {
      expect(() => apply(histogram.ours, { endpoint: 'chat' }, bad)).toThrow(/Value is not a valid number/);
      expect(() => apply(histogram.theirs, { endpoint: 'chat' }, bad)).toThrow(/Value is not a valid number/);
    }
  });

  it('time with startTimer under the start labels merged with the end labels', async () => {
    const { list } = pairs();
    const ledger = list.find((pair) => pair.name === 'runcap_ledger_operation_duration_seconds')?.ours;
    if (!(ledger instanceof LabelSetHistogram)) throw new Error('no ledger histogram');
    const seconds = ledger.startTimer({ backend: 'sqlite' })({ operation: 'reserve' });
    expect(seconds).toBeGreaterThanOrEqual(0);
    const values = (await ledger.get()).values;
    const count = values.find((v) => v.metricName.endsWith('_count'));
    expect(count).toMatchObject({ value: 1, labels: { backend: 'sqlite', operation: 'reserve' } });
    expect(values.find((v) => v.metricName.endsWith('_sum'))?.value).toBe(seconds);
  });
});
