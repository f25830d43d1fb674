// Where tandem's time goes under load: runs tandem with --cpu-prof (the supervisor passes its
// Node flags on to the children), drives wrk at c=64 for BENCH_DURATION seconds, stops it gracefully so every process
// writes its .cpuprofile, and prints the top self-time functions of each process.
// node dist/bench/profile.js [dataset]   (profiles land in .cache/bench/profiles/<time>/)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CACHE, DIST, DURATION_SEC, ensureDir, freePort, log, spawnTracked, stopTracked, waitFor200 } from './common.js';
import { type DatasetName, prepareDataset } from './datasets.js';
import { runWrk } from './wrk.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export function topSelf(file: string, limit = 15): { total: number; top: { name: string; pct: number }[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const byName = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^.*\/(node_modules\/|dist\/)/, '$1')}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'} ${where}`.trim();
    byName.set(name, (byName.get(name) ?? 0) + hits);
  }
  const top = [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, hits]) => ({ name, pct: (100 * hits) / total }));
  return { total, top };
}

const name = (process.argv[2] ?? 'demo-10k') as DatasetName;
const dataset = await prepareDataset(name);
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
}
