// tandem against itself: configurations of who searches and on how many threads, alternated in
// one run (BENCH_ROUNDS rounds, the order reversed every other round), each started for its cells
// and stopped after, measured like bench/http.ts (wrk and the server in sessions of their own, CPU
// of the whole process tree from /proc). Prints requests/s, CPU µs per answered request and each
// child's share of the answers. `node dist/bench/tandem-configs.js [dataset...]`; BENCH_CONNECTIONS
// (default 64), BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS; TANDEM_CONFIGS='name;name' to pick (names hold commas).
import path from 'node:path';
import {
  DURATION_SEC,
  ensureDir,
  log,
  machine,
  median,
  RESULTS,
  ROUNDS,
  stopTracked,
  WARMUP_SEC,
  waitFor200,
  waitForStandby,
  writeJson,
} from './common.js';
import { type DatasetName, prepareDataset } from './datasets.js';
import { cpuUsPerAnswered, type HttpRun, measureCell, startServer } from './http.js';
import { runWrk } from './wrk.js';

const ALL_CONFIGS: Record<string, string[]> = {
  'one answerer, 1 thread': ['--spare-answers', 'off', '--search-threads', '1'],
  'one answerer, 2 threads': ['--spare-answers', 'off', '--search-threads', '2'],
  'both answer, 1 thread': ['--spare-answers', 'on', '--search-threads', '1'],
  'both answer, 2 threads': ['--spare-answers', 'on', '--search-threads', '2'],
};
const picked = process.env.TANDEM_CONFIGS?.split(';');
const CONFIGS = Object.entries(ALL_CONFIGS).filter(([name]) => !picked || picked.some((p) => name.startsWith(p)));
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '64').split(',').map(Number);
const READY_TIMEOUT_MS = 15 * 60_000;

interface Cell {
  run: HttpRun;
  answeredShare: number[];
}

async function answeredBySlot(url: string): Promise<number[]> {
  const res = await fetch(`${url}/status`);
  const status = (await res.json()) as { slots: { answered: number }[] };
  return status.slots.map((slot) => slot.answered);
}

async function measureConfig(dataDir: string, idsFile: string, flags: string[], label: string): Promise<Map<number, Cell>> {
  const server = startServer('tandem', dataDir, 'view', undefined, flags);
  const cells = new Map<number, Cell>();
  try {
    await waitFor200(`${server.url}/ready`, READY_TIMEOUT_MS);
    await waitForStandby(server.url, READY_TIMEOUT_MS);
    for (const c of CONNECTIONS) {
      await runWrk(server.url, idsFile, c, WARMUP_SEC);
      const before = await answeredBySlot(server.url);
      const run = await measureCell(server, idsFile, c);
      const after = await answeredBySlot(server.url);
      const answered = after.map((n, slot) => n - (before[slot] ?? 0));
      const total = answered.reduce((a, b) => a + b, 0) || 1;
      const answeredShare = answered.map((n) => n / total);
      const roles = Object.entries(run.cpu.byRole)
        .filter(([, us]) => us > 0)
        .map(([role, us]) => `${role} ${cpuUsPerAnswered(run, us).toFixed(1)}`)
        .join(', ');
      log(
        `configs ${label} c=${c}: ${run.rps.toFixed(0)} req/s p50 ${(run.p50us / 1000).toFixed(2)} ms p99 ${(run.p99us / 1000).toFixed(2)} ms; CPU µs/request ${cpuUsPerAnswered(run).toFixed(1)} (${roles}); answered by slot ${answeredShare.map((s) => `${(100 * s).toFixed(0)}%`).join('/')}`,
      );
      cells.set(c, { run, answeredShare });
    }
  } finally {
    await stopTracked(server.child);
  }
  return cells;
}

async function compare(name: DatasetName): Promise<void> {
  const dataset = await prepareDataset(name);
  const cells = new Map<string, Cell[]>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? CONFIGS : [...CONFIGS].reverse();
    for (const [config, flags] of order) {
      const measured = await measureConfig(dataset.dataDir, dataset.idsFile, flags, `${name} round ${round} ${config}`);
      for (const [c, cell] of measured) cells.set(`${config}/${c}`, [...(cells.get(`${config}/${c}`) ?? []), cell]);
    }
  }
  const rows = CONNECTIONS.flatMap((c) =>
    CONFIGS.map(([config, flags]) => {
      const runs = cells.get(`${config}/${c}`) ?? [];
      const rps = runs.map(({ run }) => run.rps);
      const cpu = runs.map(({ run }) => cpuUsPerAnswered(run));
      return {
        config,
        flags,
        connections: c,
        rps: median(rps),
        rpsRange: [Math.min(...rps), Math.max(...rps)],
        cpuUs: median(cpu),
        cpuRange: [Math.min(...cpu), Math.max(...cpu)],
        runs,
      };
    }),
  );
  for (const row of rows)
    log(
      `configs ${name} c=${row.connections} ${row.config}: ${row.rps.toFixed(0)} req/s (${row.rpsRange.map((v) => v.toFixed(0)).join('-')}), CPU µs/request ${row.cpuUs.toFixed(1)} (${row.cpuRange.map((v) => v.toFixed(1)).join('-')})`,
    );
  writeJson(path.join(ensureDir(RESULTS), `tandem-configs-${name}.json`), {
    machine: machine(),
    dataset: name,
    rounds: ROUNDS,
    durationSec: DURATION_SEC,
    warmupSec: WARMUP_SEC,
    rows,
  });
}

for (const name of (process.argv.length > 2 ? process.argv.slice(2) : ['demo-10k', 'demo-1m']) as DatasetName[]) await compare(name);
