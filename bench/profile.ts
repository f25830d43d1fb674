// Where tandem's time goes under load: runs tandem with --cpu-prof (the supervisor passes its
// Node flags on to the children), drives wrk at c=64 for BENCH_DURATION seconds, stops it gracefully so every process
// writes its .cpuprofile, and prints the top self-time functions of each process.
// node dist/bench/profile.js [dataset]   (profiles land in .cache/bench/profiles/<time>/)
// Tandem runs on a private copy of the data set (bench/private-data.ts). Besides self time, each
// process's busy samples are summed by where their code lives (file or package) and, for our own
// functions, inclusively (callees included).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CACHE, DIST, DURATION_SEC, ensureDir, freePort, log, spawnTracked, stopTracked, waitFor200 } from './common.js';
import type { DatasetName } from './datasets.js';
import { privateData } from './private-data.js';
import { runWrk } from './wrk.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const IDLE = new Set(['(idle)']);

function frameName({ functionName, url, lineNumber }: ProfileNode['callFrame']): string {
  const where = url ? `${url.replace(/^.*\/(node_modules\/|dist\/)/, '$1')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
}

/** Where a frame's code lives: a package, one of our files, a Node internal module, or V8's own. */
function placeOf({ functionName, url }: ProfileNode['callFrame']): string {
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/dist\/(.*)$/.exec(url);
  if (ours) return ours[1]!;
  if (url.startsWith('node:')) return url;
  return url || functionName || '(native)';
}

/** Busy samples (idle excluded) by place, and inclusively by our own functions. */
export function breakdown(file: string, limit = 25): { busy: number; places: [string, number][]; inclusive: [string, number][] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const places = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  const walk = (node: ProfileNode, onStack: Set<string>): number => {
    let hits = IDLE.has(node.callFrame.functionName) ? 0 : (node.hitCount ?? 0);
    busy += hits;
    const place = placeOf(node.callFrame);
    places.set(place, (places.get(place) ?? 0) + hits);
    const name = frameName(node.callFrame);
    const ours = node.callFrame.url.includes('/dist/');
    const first = ours && !onStack.has(name);
    if (first) onStack.add(name);
    for (const child of node.children ?? []) hits += walk(byId.get(child)!, onStack);
    if (first) {
      onStack.delete(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + hits);
    }
    return hits;
  };
  walk(profile.nodes[0]!, new Set());
  const top = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([k, v]): [string, number] => [k, (100 * v) / busy]);
  return { busy, places: top(places), inclusive: top(inclusive) };
}

export function topSelf(file: string, limit = 15): { total: number; top: { name: string; pct: number }[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const byName = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const name = frameName(node.callFrame);
    byName.set(name, (byName.get(name) ?? 0) + hits);
  }
  const top = [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, hits]) => ({ name, pct: (100 * hits) / total }));
  return { total, top };
}

const name = (process.argv[2] ?? 'demo-10k') as DatasetName;
const dataset = await privateData(name, 'profile');
const dir = ensureDir(path.join(CACHE, 'profiles', new Date().toISOString().replace(/[:.]/g, '-')));
const port = freePort();
const main = spawnTracked(
  process.execPath,
  [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    path.join(DIST, 'service', 'main.js'),
    '--data',
    dataset.dataDir,
    '--port',
    String(port),
    '--runs',
    path.join(CACHE, 'runs'),
    '--log-level',
    'warn',
  ],
  {
    cwd: dir,
  },
);
try {
  await waitFor200(`http://127.0.0.1:${port}/ready`);
  const r = await runWrk(`http://127.0.0.1:${port}`, dataset.idsFile, 64, DURATION_SEC);
  log(`profile ${name}: ${r.rps.toFixed(0)} req/s at c=64 (with the profiler on)`);
} finally {
  // SIGTERM to the main process only: it SHUTDOWNs its children, so all three exit normally and write their profiles.
  const exited = new Promise((resolve) => main.once('exit', resolve));
  if (main.pid !== undefined) process.kill(main.pid, 'SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await stopTracked(main);
}
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const { total, top } = topSelf(path.join(dir, file));
  console.log(`\n${file} (${total} samples)`);
  for (const t of top) console.log(`  ${t.pct.toFixed(1).padStart(5)}%  ${t.name}`);
  const { busy, places, inclusive } = breakdown(path.join(dir, file));
  console.log(`  busy samples (idle excluded): ${busy}; by where the code lives, % of busy:`);
  for (const [place, pct] of places) console.log(`  ${pct.toFixed(1).padStart(5)}%  ${place}`);
  console.log('  our functions, inclusive (callees counted), % of busy:');
  for (const [fn, pct] of inclusive) console.log(`  ${pct.toFixed(1).padStart(5)}%  ${fn}`);
}
