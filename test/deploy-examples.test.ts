// The deployment examples under deploy/ (and the Dockerfile) must keep working with
// the code: every file parses, the Dockerfile keeps its safety properties, every
// metric an alert or dashboard panel queries is one runcap really exports, and the
// example configuration passes runcap's own config schema. With promtool on PATH
// the alert rules are also checked and unit-tested.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { resolveConfig } from '../src/config/resolve.js';
import { configFileSchema } from '../src/config/schema.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOY = join(ROOT, 'deploy');
const PROM_DIR = join(DEPLOY, 'prometheus');
const ALERTS = join(PROM_DIR, 'runcap-alerts.yml');
const ALERT_TESTS = join(PROM_DIR, 'runcap-alerts.test.yml');
const DASHBOARD = join(DEPLOY, 'grafana', 'runcap-dashboard.json');
const SIDECAR = join(DEPLOY, 'kubernetes', 'agent-with-runcap-sidecar.yaml');

type Obj = Record<string, unknown>;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function yamlDocs(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    expect(
      doc.errors.map((e) => e.message),
      `${relative(ROOT, path)} parses`,
    ).toEqual([]);
  }
  return list.map((doc) => doc.toJS()).filter((doc) => doc !== null && doc !== undefined);
}

/** Every string value (deep) found under keys named `key`. */
function stringsUnder(value: unknown, key: string, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) stringsUnder(item, key, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Obj)) {
      if (k === key && typeof v === 'string') out.push(v);
      else stringsUnder(v, key, out);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Metric names, straight from the code.
// ---------------------------------------------------------------------------
const METRICS_SOURCE = readFileSync(join(ROOT, 'src', 'metrics', 'metrics.ts'), 'utf8');

function exportedMetricNames(): { names: Set<string>; declared: string[]; histograms: string[] } {
  const declared = [...METRICS_SOURCE.matchAll(/name:\s*'(runcap_[a-z0-9_]+)'/g)].map((m) => m[1] as string);
  const histograms = [
    ...METRICS_SOURCE.matchAll(/new\s+(?:LabelSet)?Histogram\(\{\s*name:\s*'(runcap_[a-z0-9_]+)'/g),
  ].map((m) => m[1] as string);
  const names = new Set<string>(declared);
  for (const h of histograms) for (const suffix of ['_bucket', '_sum', '_count']) names.add(h + suffix);

  // Default process metrics come from prom-client under the prefix metrics.ts passes.
  const prefix = /collectDefaultMetrics\(\{[^}]*prefix:\s*'([a-z_]+)'/.exec(METRICS_SOURCE)?.[1];
  if (prefix) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix });
    for (const metric of registry.getMetricsAsArray()) {
      const name = (metric as unknown as { name: string }).name;
      names.add(name);
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    }
  }
  return { names, declared, histograms };
}

const METRICS = exportedMetricNames();

/** runcap_* metric names referenced in a PromQL expression. */
function metricRefs(expr: string): string[] {
  return [...expr.matchAll(/\b(runcap_[a-zA-Z0-9_]+)/g)].map((m) => m[1] as string);
}

function alertRules(): Obj[] {
  const [doc] = yamlDocs(ALERTS) as [{ groups: { name: string; rules: Obj[] }[] }];
  return doc.groups.flatMap((g) => g.rules);
}

function dashboard(): Obj & { panels: Obj[]; templating: { list: Obj[] } } {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8'));
}

function dashboardExprs(): string[] {
  const d = dashboard();
  const exprs = d.panels.flatMap((p) => ((p.targets as Obj[] | undefined) ?? []).map((t) => t.expr as string));
  const varQueries = d.templating.list.flatMap((v) => (typeof v.definition === 'string' ? [v.definition] : []));
  return [...exprs, ...varQueries];
}

describe('deploy/ files parse', () => {
  const files = walk(DEPLOY);

  it('has the expected example files', () => {
    const rel = files.map((f) => relative(DEPLOY, f)).sort();
    for (const expected of [
      'README.md',
      'grafana/runcap-dashboard.json',
      'kubernetes/agent-with-runcap-sidecar.yaml',
      'prometheus/prometheus.yml',
      'prometheus/runcap-alerts.test.yml',
      'prometheus/runcap-alerts.yml',
    ]) {
      expect(rel).toContain(expected);
    }
  });

  for (const file of files.filter((f) => /\.(ya?ml|json)$/.test(f))) {
    it(`parses ${relative(ROOT, file)}`, () => {
      if (file.endsWith('.json')) expect(() => JSON.parse(readFileSync(file, 'utf8'))).not.toThrow();
      else expect(yamlDocs(file).length).toBeGreaterThan(0);
    });
  }
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  // Join continuation lines and drop comments so each instruction is one line.
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const named = (keyword: string) => instructions.filter((line) => line.toUpperCase().startsWith(keyword + ' '));

  it('is multi-stage on an official Node 20 slim image', () => {
    expect(named('FROM').length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/node:20\.\d+-[a-z]+-slim/);
  });

  it('runs as a non-root user', () => {
    const users = named('USER');
    expect(users.length).toBeGreaterThan(0);
    const last = (users[users.length - 1] as string).split(/\s+/)[1] as string;
    expect(['root', '0', '0:0', 'root:root']).not.toContain(last);
  });

  it('has a HEALTHCHECK on /healthz, listens on all interfaces and keeps the ledger on /data', () => {
    expect(named('HEALTHCHECK').join('\n')).toContain('/healthz');
    expect(text).toMatch(/RUNCAP_HOST=0\.0\.0\.0/);
    expect(text).toMatch(/RUNCAP_DB=\/data\//);
    expect(named('VOLUME').join(' ')).toContain('/data');
    expect(named('EXPOSE').join(' ')).toContain('8787');
    expect(named('ENTRYPOINT').join(' ')).toContain('dist/cli/main.js');
  });

  it('copies prices and migrations into the runtime stage and prunes dev dependencies', () => {
    const runtime = text.slice(text.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/COPY[^\n]*\bprices\b/);
    expect(runtime).toMatch(/COPY[^\n]*\bmigrations\b/);
    expect(runtime).toMatch(/COPY[^\n]*\bdist\b/);
    expect(text).toMatch(/npm prune --omit=dev/);
  });

  it('installs dependencies without running the package scripts before the sources are copied', () => {
    // `npm ci` runs the package's `prepare` (a build) unless told not to; the sources come later.
    const install = instructions.find((line) => /^RUN npm ci\b/.test(line)) ?? '';
    const copiesSources = instructions.findIndex((line) => /^COPY src\b/.test(line));
    expect(install).toContain('--ignore-scripts');
    expect(install).toMatch(/npm rebuild better-sqlite3/);
    expect(instructions.indexOf(install)).toBeLessThan(copiesSources);
  });

  it('.dockerignore keeps local state out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', 'data', '.git']) expect(ignored).toContain(entry);
  });
});

describe('metric names in alerts and dashboard exist in src/metrics/metrics.ts', () => {
  it('extracts the metric catalogue from the code', () => {
    expect(METRICS.declared.length).toBeGreaterThan(10);
    expect(METRICS.histograms).toContain('runcap_run_budget_utilization_ratio');
    expect(METRICS.names.has('runcap_overhead_seconds_bucket')).toBe(true);
  });

  it('alert rules reference only exported metrics', () => {
    const rules = alertRules();
    expect(rules.length).toBeGreaterThan(0);
    const refs = rules.flatMap((r) => metricRefs(String(r.expr)));
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((name) => !METRICS.names.has(name))).toEqual([]);
  });

  it('alert unit tests feed only exported metrics', () => {
    const [doc] = yamlDocs(ALERT_TESTS);
    const series = stringsUnder(doc, 'series').flatMap(metricRefs);
    expect(series.filter((name) => !METRICS.names.has(name))).toEqual([]);
  });

  it('dashboard panels reference only exported metrics', () => {
    const refs = dashboardExprs().flatMap(metricRefs);
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((name) => !METRICS.names.has(name))).toEqual([]);
  });
});

describe('alert rules', () => {
  const rules = alertRules();

  it('every alert has for, a severity and summary/description annotations', () => {
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toBeTypeOf('string');
      expect(rule.for, String(rule.alert)).toBeTypeOf('string');
      expect(['critical', 'warning', 'info'], String(rule.alert)).toContain((rule.labels as Obj | undefined)?.severity);
      const annotations = rule.annotations as Obj | undefined;
      expect(annotations?.summary, String(rule.alert)).toBeTypeOf('string');
      expect(annotations?.description, String(rule.alert)).toBeTypeOf('string');
    }
  });

  it('covers the required conditions', () => {
    const exprs = rules.map((r) => String(r.expr)).join('\n');
    for (const metric of [
      'runcap_run_budget_utilization_ratio_bucket{le="0.8"}',
      'runcap_fail_open_total',
      'runcap_ledger_unavailable_total',
      'runcap_expired_reservations_total{charged="true"}',
      'runcap_overruns_total',
      'runcap_price_unknown_total',
      'runcap_overhead_seconds_bucket',
      'runcap_upstream_duration_seconds_count',
    ]) {
      expect(exprs).toContain(metric);
    }
  });

  it('the 80% rule compares against a bucket the histogram really has', () => {
    const buckets = /name:\s*'runcap_run_budget_utilization_ratio'[\s\S]*?buckets:\s*\[([^\]]*)\]/.exec(
      METRICS_SOURCE,
    )?.[1];
    expect(buckets?.split(',').map((b) => Number(b.trim()))).toContain(0.8);
  });

  it('prometheus.yml scrapes runcap and loads the rule file', () => {
    const [config] = yamlDocs(join(PROM_DIR, 'prometheus.yml')) as [Obj];
    expect(config.rule_files).toContain('runcap-alerts.yml');
    expect(JSON.stringify(config.scrape_configs)).toContain(':8787');
  });
});

describe('Grafana dashboard', () => {
  const d = dashboard();

  it('has a Prometheus datasource variable and uses it everywhere', () => {
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    const ds = d.templating.list.find((v) => v.type === 'datasource');
    expect(ds?.query).toBe('prometheus');
    for (const panel of d.panels.filter((p) => p.type !== 'row')) {
      expect((panel.datasource as Obj).uid, String(panel.title)).toBe(`\${${String(ds?.name)}}`);
      for (const target of panel.targets as Obj[])
        expect((target.datasource as Obj).uid).toBe(`\${${String(ds?.name)}}`);
    }
  });

  it('has unique panel ids and the required panels', () => {
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const exprs = dashboardExprs().join('\n');
    for (const needle of [
      'runcap_decisions_total',
      'decision="block"',
      'runcap_committed_usd_total',
      'runcap_reserved_usd_total',
      'runcap_estimate_to_actual_ratio_bucket',
      'runcap_overhead_seconds_bucket',
      'runcap_upstream_ttfb_seconds_bucket',
      'runcap_live_reservations',
      'runcap_fail_open_total',
      'runcap_ledger_errors_total',
      'runcap_expired_reservations_total',
      'runcap_overruns_total',
    ]) {
      expect(exprs).toContain(needle);
    }
  });
});

describe('Kubernetes sidecar example', () => {
  const docs = yamlDocs(SIDECAR) as Obj[];
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const deployment = byKind('Deployment')[0] as Obj;
  const pod = (deployment.spec as Obj).template as Obj as { metadata: Obj; spec: Obj };
  const allContainers = [...((pod.spec.initContainers as Obj[]) ?? []), ...((pod.spec.containers as Obj[]) ?? [])];
  const runcap = allContainers.find((c) => c.name === 'runcap') as Obj;
  const agent = allContainers.find((c) => c.name === 'agent') as Obj;
  const envOf = (c: Obj) => Object.fromEntries(((c.env as Obj[]) ?? []).map((e) => [e.name, e]));

  it('every document has apiVersion, kind and metadata.name', () => {
    for (const doc of docs) {
      expect(doc.apiVersion).toBeTypeOf('string');
      expect(doc.kind).toBeTypeOf('string');
      expect((doc.metadata as Obj).name).toBeTypeOf('string');
    }
    expect(deployment).toBeDefined();
  });

  it('the agent talks to runcap over loopback', () => {
    expect(agent).toBeDefined();
    expect((envOf(agent).OPENAI_BASE_URL as Obj).value).toBe('http://127.0.0.1:8787/v1');
  });

  it('the runcap sidecar is probed, non-root, read-only and keeps its ledger on an emptyDir', () => {
    expect(runcap).toBeDefined();
    expect(((runcap.livenessProbe as Obj).httpGet as Obj).path).toBe('/healthz');
    expect(((runcap.readinessProbe as Obj).httpGet as Obj).path).toBe('/readyz');
    const security = runcap.securityContext as Obj;
    expect(security.runAsNonRoot).toBe(true);
    expect(security.readOnlyRootFilesystem).toBe(true);
    expect((runcap.resources as Obj).requests).toBeDefined();
    const env = envOf(runcap);
    for (const name of [
      'RUNCAP_HOST',
      'RUNCAP_UPSTREAM_URL',
      'RUNCAP_RUN_LIMIT_USD',
      'RUNCAP_CONFIG',
      'RUNCAP_ADMIN_TOKEN',
    ])
      expect(env[name], name).toBeDefined();
    expect(((env.RUNCAP_ADMIN_TOKEN as Obj).valueFrom as Obj).secretKeyRef).toBeDefined();
    const dataMount = (runcap.volumeMounts as Obj[]).find((m) => m.mountPath === '/data') as Obj;
    const dataVolume = (pod.spec.volumes as Obj[]).find((v) => v.name === dataMount.name) as Obj;
    expect(dataVolume.emptyDir).toBeDefined();
  });

  it('gives runcap longer than its drain timeout to stop', () => {
    const drainSeconds = 30; // server.drain_timeout default (src/config/schema.ts)
    expect(readFileSync(join(ROOT, 'src', 'config', 'schema.ts'), 'utf8')).toMatch(
      /drain_timeout: duration\.default\('30s'\)/,
    );
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(drainSeconds);
  });

  it('is annotated for Prometheus scraping of the runcap port', () => {
    const annotations = pod.metadata.annotations as Obj;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(annotations['prometheus.io/port']).toBe('8787');
  });

  it('mounts the ConfigMap where RUNCAP_CONFIG points, and that runcap.yaml passes the config schema', () => {
    const configMap = byKind('ConfigMap').find(
      (c) => typeof (c.data as Obj | undefined)?.['runcap.yaml'] === 'string',
    ) as Obj;
    expect(configMap).toBeDefined();
    const configPath = String((envOf(runcap).RUNCAP_CONFIG as Obj).value);
    const volume = (pod.spec.volumes as Obj[]).find(
      (v) => (v.configMap as Obj | undefined)?.name === (configMap.metadata as Obj).name,
    ) as Obj;
    const mount = (runcap.volumeMounts as Obj[]).find((m) => m.name === volume.name) as Obj;
    expect(configPath).toBe(`${String(mount.mountPath)}/runcap.yaml`);

    const file = parseYaml(String((configMap.data as Obj)['runcap.yaml']));
    const parsed = configFileSchema.safeParse(file);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    if (parsed.success) {
      const tenant = parsed.data.tenants.default;
      expect(tenant?.mode).toBe('hard_gate');
      expect(tenant?.run.default_limit_usd).toBeTypeOf('string');
      // The cross-field start-up checks too (e.g. the hold TTL outlasts every upstream timeout).
      expect(() => resolveConfig(parsed.data, { env: {}, cwd: ROOT, pricesPath: join(ROOT, 'prices') })).not.toThrow();
    }
  });
});

// ---------------------------------------------------------------------------
// promtool, when installed (Debian: apt-get install prometheus).
// ---------------------------------------------------------------------------
const HAS_PROMTOOL = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
const SKIP_NOTE = HAS_PROMTOOL ? '' : ' [SKIPPED: promtool not on PATH; apt-get install prometheus to run]';
if (!HAS_PROMTOOL)
  console.warn(
    'deploy-examples: promtool not on PATH; skipping promtool check/test of the alert rules and dashboard queries',
  );

function promtool(args: string[], cwd = PROM_DIR): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('promtool', () => {
  it.skipIf(!HAS_PROMTOOL)(`check rules runcap-alerts.yml${SKIP_NOTE}`, () => {
    const result = promtool(['check', 'rules', 'runcap-alerts.yml']);
    expect(result.status, result.output).toBe(0);
  });

  it.skipIf(!HAS_PROMTOOL)(`test rules runcap-alerts.test.yml${SKIP_NOTE}`, () => {
    const result = promtool(['test', 'rules', 'runcap-alerts.test.yml']);
    expect(result.status, result.output).toBe(0);
  });

  it.skipIf(!HAS_PROMTOOL)(`check config prometheus.yml${SKIP_NOTE}`, () => {
    const result = promtool(['check', 'config', 'prometheus.yml']);
    expect(result.status, result.output).toBe(0);
  });

  it.skipIf(!HAS_PROMTOOL)(
    `check config prometheus-kubernetes.yml (where promtool has Kubernetes SD)${SKIP_NOTE}`,
    (ctx) => {
      const result = promtool(['check', 'config', 'prometheus-kubernetes.yml']);
      if (result.status !== 0 && /field kubernetes_sd_configs not found/.test(result.output)) {
        console.warn(
          'deploy-examples: this promtool is built without Kubernetes service discovery (Debian); skipping prometheus-kubernetes.yml',
        );
        ctx.skip();
      }
      expect(result.status, result.output).toBe(0);
    },
  );

  it.skipIf(!HAS_PROMTOOL)(`dashboard queries are valid PromQL${SKIP_NOTE}`, () => {
    const exprs = dashboardExprs()
      .filter((e) => !e.startsWith('label_values('))
      .map((e) =>
        e
          .replaceAll('$__rate_interval', '5m')
          .replaceAll('$__range', '1h')
          .replaceAll('$__interval', '1m')
          .replace(/\$\{?(job|instance)\}?/g, '.*'),
      );
    const dir = mkdtempSync(join(tmpdir(), 'runcap-dashboard-'));
    try {
      const rules = {
        groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:expr_${i}`, expr })) }],
      };
      writeFileSync(join(dir, 'dashboard-rules.json'), JSON.stringify(rules));
      const result = promtool(['check', 'rules', 'dashboard-rules.json'], dir);
      expect(result.status, result.output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
