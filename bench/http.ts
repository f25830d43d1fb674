// HTTP serving benchmark: GET /recommend/:id/10 over random ids, wrk in its own process, against
// four servers started side by side and measured alternately in the same run:
//   bare (constant body), held (same search in-process), exact (brute force in-process), tandem.
// Writes bench/results/http-<dataset>.json.

import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import {
  CACHE,
  DIST,
  DURATION_SEC,
  freePort,
  log,
  machine,
  median,
  QUICK,
  RESULTS,
  ROUNDS,
  spawnTracked,
  stopTracked,
  tandemCommand,
  WARMUP_SEC,
  waitFor200,
  writeJson,
} from './common.js';
import { type DatasetName, prepareDataset } from './datasets.js';
import { errorsOf, runWrk, type WrkResult, wrkCommand } from './wrk.js';

export const SERVERS = ['bare', 'held', 'exact', 'tandem'] as const;
export type ServerKind = (typeof SERVERS)[number];

export interface HttpRow {
  dataset: DatasetName;
  server: ServerKind;
  connections: number;
  runs: WrkResult[];
  rps: number;
  p50us: number;
  p99us: number;
  p999us: number;
  errors: number;
  requests: number;
}

interface Running {
  kind: ServerKind;
  url: string;
  child: ChildProcess;
}

export function startServer(kind: ServerKind, dataDir: string, mode: 'view' | 'load', port = freePort()): Running {
  const url = `http://127.0.0.1:${port}`;
  const child =
    kind === 'tandem'
      ? spawnTracked(process.execPath, tandemCommand(dataDir, port, mode, path.join(CACHE, 'runs')))
      : spawnTracked(process.execPath, [
          path.join(DIST, 'bench', 'servers', 'single.js'),
          '--data',
          dataDir,
          '--port',
          String(port),
          '--mode',
          mode,
          '--kind',
          kind,
        ]);
  return { kind, url, child };
}

const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,16,64').split(',').map(Number);

export function httpDatasets(): DatasetName[] {
  const raw = process.env.BENCH_DATASETS;
  if (raw) return raw.split(',') as DatasetName[];
  return QUICK ? ['demo-10k'] : ['demo-10k', 'random-10k-1024', 'demo-1m'];
}

export async function benchHttp(name: DatasetName): Promise<HttpRow[]> {
  const dataset = await prepareDataset(name);
  const servers = SERVERS.map((kind) => startServer(kind, dataset.dataDir, 'view'));
  try {
    for (const s of servers) await waitFor200(`${s.url}/ready`, 15 * 60_000);
    log(`http ${name}: servers ready`);
    const runs = new Map<string, WrkResult[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CONNECTIONS) {
        // Alternate the order between rounds so no server always runs first (or right after a heavy one).
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const s of order) {
          await runWrk(s.url, dataset.idsFile, c, WARMUP_SEC);
          const r = await runWrk(s.url, dataset.idsFile, c, DURATION_SEC);
          log(
            `http ${name} round ${round} c=${c} ${s.kind}: ${r.rps.toFixed(0)} req/s p50 ${(r.p50us / 1000).toFixed(2)} ms p99 ${(r.p99us / 1000).toFixed(2)} ms errors ${errorsOf(r)}`,
          );
          const key = `${s.kind}/${c}`;
          runs.set(key, [...(runs.get(key) ?? []), r]);
        }
      }
    }
    const rows: HttpRow[] = [];
    for (const c of CONNECTIONS) {
      for (const kind of SERVERS) {
        const rs = runs.get(`${kind}/${c}`) ?? [];
        rows.push({
          dataset: name,
          server: kind,
          connections: c,
          runs: rs,
          rps: median(rs.map((r) => r.rps)),
          p50us: median(rs.map((r) => r.p50us)),
          p99us: median(rs.map((r) => r.p99us)),
          p999us: median(rs.map((r) => r.p999us)),
          errors: rs.reduce((sum, r) => sum + errorsOf(r), 0),
          requests: rs.reduce((sum, r) => sum + r.requests, 0),
        });
      }
    }
    writeJson(path.join(RESULTS, `http-${name}.json`), {
      machine: machine(),
      dataset: name,
      count: dataset.manifest.count,
      dims: dataset.manifest.dims,
      quick: QUICK,
      rounds: ROUNDS,
      durationSec: DURATION_SEC,
      warmupSec: WARMUP_SEC,
      commands: Object.fromEntries(CONNECTIONS.map((c) => [c, wrkCommand(c, DURATION_SEC)])),
      rows,
    });
    return rows;
  } finally {
    for (const s of servers) await stopTracked(s.child);
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  for (const name of process.argv.length > 2 ? (process.argv.slice(2) as DatasetName[]) : httpDatasets()) await benchHttp(name);
}
