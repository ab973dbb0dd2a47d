// `npm run bench:profile [-- <seconds>] [--stream | --agent] [--new] [--bare]`: CPU profile of runcap's hot path.
// Starts the fake upstream and runcap (SQLite) under `node --cpu-prof`, drives small chat (c=32) for
// the given seconds, stops runcap, and prints the top self-time functions and the
// share by module group. Small chat sends the "seen" body of the small-chat scenario by default
// (the same request every call, its text counted before: no tokenizing, as the CPU-per-call target
// measures); `--new` sends a never-seen user turn every call instead. The .cpuprofile lands in .bench-out/profile/ (open it in
// Chrome DevTools or speedscope for the flame graph).
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { linkAssets, requireBuiltRuncap } from './lib/assets.js';
import { smallChatRequest } from './lib/bodies.js';
import { startLoadWorker } from './lib/load-client.js';
import { REPO_ROOT, startReadyLineService, startRuncap, stopAll, type Service } from './lib/processes.js';
import { fixed, renderTable } from './lib/stats.js';
import { CHAT_PATH, CLIENT_HEADERS, unique } from './scenarios/context.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A coarse owner for a frame: runcap's own modules, a dependency, Node internals, GC... */
function groupOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1] ?? 'dependency';
  const own = /\/dist\/([^/]+)\//.exec(url);
  if (own) return `runcap ${own[1] ?? ''}`;
  if (url.startsWith('node:')) return url.startsWith('node:internal/deps/undici') ? 'node (fetch/undici)' : 'node core';
  return url;
}

function summarise(profile: CpuProfile): { total: number; top: [string, number][]; groups: [string, number][] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const byFunction = new Map<string, number>();
  const byGroup = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    total += us;
    const short = url.replace(/^.*\/(node_modules|dist)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const group = groupOf(url, functionName);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
  }
  const sorted = (map: Map<string, number>): [string, number][] => [...map].sort((a, b) => b[1] - a[1]);
  return { total, top: sorted(byFunction).slice(0, 30), groups: sorted(byGroup).slice(0, 20) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const seconds = Number(args.find((arg) => /^\d+$/.test(arg)) ?? '10');
  const stream = args.includes('--stream');
  const agent = args.includes('--agent');
  const seen = !args.includes('--new');
  linkAssets();
  requireBuiltRuncap();
  const dir = join(REPO_ROOT, '.bench-out', 'profile');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const upstream = await startReadyLineService('fake-upstream', 'fake-upstream.js', []);
  const nodeFlags = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  const target: Service = args.includes('--bare')
    ? await startReadyLineService('bare-proxy', 'bare-proxy.js', [upstream.url], nodeFlags)
    : await startRuncap({
        name: 'runcap',
        upstreamUrl: upstream.url,
        ledger: { kind: 'sqlite' },
        logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'info',
        nodeFlags,
      });
  const load = startLoadWorker();
  // The bodies of the small-chat scenario (a ~1 KB user turn), seen unless --new.
  const body = smallChatRequest({ stream, seen, userChars: 1_000, ...(seen ? {} : { salt: 'new' }) });
  const headers = stream
    ? { ...CLIENT_HEADERS, 'x-bench-chunks': '200', 'x-bench-chunk-interval-ms': '1' }
    : CLIENT_HEADERS;
  let served: number;
  if (agent) {
    const result = await load.agentLoop({
      url: target.url + CHAT_PATH,
      headers: { ...CLIENT_HEADERS, 'x-bench-latency-ms': '20' },
      runs: 20,
      steps: 30,
      newCharsPerStep: 7_500,
      seed: unique('prof'),
    });
    served = result.latenciesMs.reduce((sum, step) => sum + step.length, 0);
  } else if (stream) {
    served = (
      await load.streams({
        url: target.url + CHAT_PATH,
        body,
        headers,
        concurrency: 8,
        durationS: seconds,
        runIdPrefix: unique('run_prof'),
      })
    ).ok;
  } else {
    served = (
      await load.closedLoop({
        url: target.url + CHAT_PATH,
        body,
        headers,
        connections: 32,
        durationS: seconds,
        runIdPrefix: unique('run_prof'),
      })
    ).ok;
  }
  await load.stop();
  await target.stop();
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) {
    process.stdout.write('no profile written\n');
    return;
  }
  const { total, top, groups } = summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
  const pct = (us: number): string => `${fixed((100 * us) / total, 1)}%`;
  process.stdout.write(
    `${served} calls served; ${fixed(total / served, 0)} µs of profiled CPU per call (start-up included)\n\n`,
  );
  process.stdout.write(
    `${renderTable({ title: `runcap self time by module group (${agent ? 'agent loop 20x30' : `${stream ? 'streaming' : 'small chat'}, ${seen ? 'seen body' : 'never-seen user turn'}`}, ${seconds} s, ${fixed(total / 1e6, 2)} s on CPU)`, header: ['group', 'self ms', 'share'], rows: groups.map(([name, us]) => [name, fixed(us / 1000, 0), pct(us)]) })}\n\n`,
  );
  process.stdout.write(
    `${renderTable({ title: 'top 30 functions by self time', header: ['function', 'self ms', 'share'], rows: top.map(([name, us]) => [name, fixed(us / 1000, 0), pct(us)]) })}\n`,
  );
  process.stdout.write(`\nprofile: ${join(dir, file)}\n`);
}

main()
  .catch((error: unknown) => {
    process.stderr.write(
      `profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  })
  .finally(() => stopAll());
