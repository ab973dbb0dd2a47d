// A strict parser of the Prometheus text exposition format (version 0.0.4) for tests:
// HELP/TYPE lines, label escaping, Go float values, no duplicate series, every sample in
// a declared family, and histograms whose buckets are cumulative and end in +Inf = _count.
// Throws on anything malformed, naming the line.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string | null;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheusText(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  const series = new Set<string>();
  text.split('\n').forEach((line, index) => {
    const where = `line ${index + 1}: ${line}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const match = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!match) return; // a plain comment
      const [, keyword, name = '', rest = ''] = match;
      if (!METRIC_NAME.test(name) || METRIC_NAME.exec(name)?.[0] !== name)
        throw new Error(`bad metric name in ${where}`);
      if (keyword === 'HELP') {
        if (helps.has(name)) throw new Error(`second HELP for ${name} at ${where}`);
        helps.set(name, unescapeHelp(rest, where));
        const family = families.get(name);
        if (family) families.set(name, { ...family, help: helps.get(name) ?? null });
        return;
      }
      const type = rest.trim() as MetricType;
      if (!TYPES.includes(type)) throw new Error(`unknown type in ${where}`);
      if (families.has(name)) throw new Error(`second TYPE for ${name} (or TYPE after its samples) at ${where}`);
      families.set(name, { name, type, help: helps.get(name) ?? null, samples: [] });
      return;
    }
    const sample = parseSample(line, where);
    const family = familyOf(families, sample.name);
    if (!family) throw new Error(`sample without a TYPE declared before it at ${where}`);
    const key = `${sample.name}{${Object.entries(sample.labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
    if (series.has(key)) throw new Error(`duplicate series ${key} at ${where}`);
    series.add(key);
    if (family.type === 'histogram' && sample.name.endsWith('_bucket') && sample.labels.le === undefined)
      throw new Error(`bucket without le at ${where}`);
    if (family.type === 'counter' && (sample.value < 0 || Number.isNaN(sample.value)))
      throw new Error(`negative counter at ${where}`);
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** Sum of the values of `name`'s samples whose labels include `labels`. */
export function sumOf(
  families: ReadonlyMap<string, Family>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const family = familyOf(families, name);
  if (!family) throw new Error(`no metric family for ${name}`);
  return family.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

export function familyOf(families: ReadonlyMap<string, Family>, sampleName: string): Family | undefined {
  for (const family of families.values()) {
    if (SUFFIXES[family.type].some((suffix) => `${family.name}${suffix}` === sampleName)) return family;
  }
  return undefined;
}

function parseSample(line: string, where: string): Sample {
  const name = METRIC_NAME.exec(line)?.[0];
  if (!name) throw new Error(`bad metric name in ${where}`);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i += 1;
    while (line[i] !== '}') {
      const labelName = LABEL_NAME.exec(line.slice(i))?.[0];
      if (!labelName) throw new Error(`bad label name at column ${i} in ${where}`);
      i += labelName.length;
      if (line[i] !== '=' || line[i + 1] !== '"') throw new Error(`expected =" at column ${i} in ${where}`);
      i += 2;
      let value = '';
      for (;;) {
        const char = line[i];
        if (char === undefined) throw new Error(`unterminated label value in ${where}`);
        i += 1;
        if (char === '"') break;
        if (char === '\\') {
          const next = line[i];
          i += 1;
          if (next === '\\') value += '\\';
          else if (next === '"') value += '"';
          else if (next === 'n') value += '\n';
          else throw new Error(`bad escape \\${String(next)} in ${where}`);
        } else value += char;
      }
      if (labelName in labels) throw new Error(`label ${labelName} twice in ${where}`);
      labels[labelName] = value;
      if (line[i] === ',') i += 1;
      else if (line[i] !== '}') throw new Error(`expected , or } at column ${i} in ${where}`);
    }
    i += 1;
  }
  const rest = line.slice(i);
  const match = /^ +(\S+)(?: +(-?\d+))?$/.exec(rest);
  if (!match) throw new Error(`expected " value [timestamp]" in ${where}`);
  return { name, labels, value: parseGoFloat(match[1] ?? '', where) };
}

/** Go's strconv.ParseFloat (what Prometheus uses): NaN and Inf/Infinity in any case, signed. */
function parseGoFloat(text: string, where: string): number {
  const special = /^([-+]?)(nan|inf|infinity)$/i.exec(text);
  if (special) {
    if (special[2]?.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text} in ${where}`);
  return Number(text);
}

function unescapeHelp(text: string, where: string): string {
  return text.replace(/\\(.)/g, (_, char: string) => {
    if (char === '\\') return '\\';
    if (char === 'n') return '\n';
    throw new Error(`bad escape in HELP at ${where}`);
  });
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const group = groups.get(key) ?? { buckets: [] };
    if (sample.name.endsWith('_bucket')) group.buckets.push([parseGoFloat(le ?? '', family.name), sample.value]);
    if (sample.name.endsWith('_count')) group.count = sample.value;
    groups.set(key, group);
  }
  for (const [key, group] of groups) {
    const sorted = [...group.buckets].sort((a, b) => a[0] - b[0]);
    sorted.forEach(([, value], i) => {
      if (i > 0 && value < (sorted[i - 1]?.[1] ?? 0))
        throw new Error(`${family.name}${key}: buckets are not cumulative`);
    });
    const last = sorted[sorted.length - 1];
    if (!last || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${family.name}${key}: no +Inf bucket`);
    if (group.count !== last[1])
      throw new Error(`${family.name}${key}: +Inf bucket ${last[1]} != _count ${String(group.count)}`);
  }
}
