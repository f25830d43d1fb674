// HTTP serving benchmark: GET /recommend/:id/10 over random ids, wrk in its own process, against
// four servers measured alternately in the same run:
//   bare (constant body), held (same search in-process), exact (brute force in-process), tandem.
// Every server and wrk lead sessions of their own (Linux autogroup shares CPU between sessions
// first), and only the server under test runs: each is started for its cells and stopped after.
// Each cell also reads the CPU time of the server's whole process tree from /proc.
// Writes bench/results/http-<dataset>.json.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  CACHE,
  DIST,
  DURATION_SEC,
  ensureDir,
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
  tandemStatus,
  WARMUP_SEC,
  waitFor200,
  waitForStandby,
  writeJson,
} from './common.js';
import { type DatasetName, prepareDataset } from './datasets.js';
import { processTree, treeCpuUse } from './procfs.js';
import { errorsOf, runWrk, type WrkResult, wrkCommand } from './wrk.js';

export const SERVERS = ['bare', 'held', 'exact', 'tandem'] as const;
export type ServerKind = (typeof SERVERS)[number];

/** Which of a server's processes spent CPU: its main process, tandem's children by role, the rest. */
export type ProcessRole = 'main' | 'answer' | 'share' | 'fetch' | 'draining' | 'other' | 'exited';

/** CPU microseconds a server's processes spent during one measured cell. */
export interface CellCpu {
  totalUs: number;
  byRole: Partial<Record<ProcessRole, number>>;
}

/** One measured cell: wrk's summary and the server's CPU over the same seconds. */
export interface HttpRun extends WrkResult {
  cpu: CellCpu;
}

export interface HttpRow {
  dataset: DatasetName;
  server: ServerKind;
  connections: number;
  runs: HttpRun[];
  rps: number;
  p50us: number;
  p99us: number;
  p999us: number;
  errors: number;
  requests: number;
}

export interface Running {
  kind: ServerKind;
  url: string;
  child: ChildProcess;
}

export function startServer(
  kind: ServerKind,
  dataDir: string,
  mode: 'view' | 'load',
  port = freePort(),
  /** Flags for tandem's command line (bench/tandem-configs.ts compares them). */
  tandemFlags: string[] = [],
): Running {
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess;
  if (kind === 'tandem') {
    // Its own store and write token: the cached data set is shared and stays as it was built.
    const own = mkdtempSync(path.join(ensureDir(path.join(CACHE, 'runs')), 'http-store-'));
    const extra = ['--store', path.join(own, 'profiles.db'), '--write-token-file', path.join(own, 'write-token'), ...tandemFlags];
    child = spawnTracked(process.execPath, tandemCommand(dataDir, port, mode, path.join(CACHE, 'runs'), extra));
    child.once('exit', () => rmSync(own, { recursive: true, force: true }));
  } else {
    child = spawnTracked(process.execPath, [
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
  }
  return { kind, url, child };
}

const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,16,64').split(',').map(Number);

export function httpDatasets(): DatasetName[] {
  const raw = process.env.BENCH_DATASETS;
  if (raw) return raw.split(',') as DatasetName[];
  return QUICK ? ['demo-10k'] : ['demo-10k', 'random-10k-1024', 'demo-1m'];
}

/** pid -> role of every process of a server we can name: its main process, and tandem's children. */
async function rolesOf(server: Running): Promise<Map<number, ProcessRole>> {
  const roles = new Map<number, ProcessRole>([[server.child.pid!, 'main']]);
  if (server.kind === 'tandem')
    for (const slot of (await tandemStatus(server.url)).slots) if (slot.pid !== null) roles.set(slot.pid, slot.role);
  return roles;
}

/** One wrk run with the server's process tree read right before and right after it. */
export async function measureCell(server: Running, idsFile: string, connections: number): Promise<HttpRun> {
  const roles = await rolesOf(server);
  const before = processTree(server.child.pid!);
  const result = await runWrk(server.url, idsFile, connections, DURATION_SEC);
  const after = processTree(server.child.pid!);
  const use = treeCpuUse(before, after);
  const byRole: CellCpu['byRole'] = { exited: use.exitedUs };
  for (const [pid, us] of use.byPid) {
    const role = roles.get(pid) ?? 'other';
    byRole[role] = (byRole[role] ?? 0) + us;
  }
  if (server.kind === 'tandem') {
    const now = await rolesOf(server);
    if ([...roles].some(([pid, role]) => now.get(pid) !== role))
      log(`http: tandem's roles changed during a cell: ${JSON.stringify([...now])}`);
  }
  return { ...result, cpu: { totalUs: use.totalUs, byRole } };
}

/** CPU microseconds per answered request: what a request costs whatever share of the cores the server got. */
export function cpuUsPerAnswered(run: HttpRun, us = run.cpu.totalUs): number {
  const answered = run.requests - errorsOf(run);
  return answered > 0 ? us / answered : NaN;
}

const READY_TIMEOUT_MS = 15 * 60_000;

/**
 * Starts `kind`, measures it at every connection count, stops it. Started for its cells rather than
 * paused between them: after SIGSTOP/SIGCONT tandem's supervisor could take the pause for missed heartbeats.
 */
async function measureServer(kind: ServerKind, dataDir: string, idsFile: string, label: string): Promise<Map<number, HttpRun>> {
  const server = startServer(kind, dataDir, 'view');
  const runs = new Map<number, HttpRun>();
  try {
    await waitFor200(`${server.url}/ready`, READY_TIMEOUT_MS);
    if (kind === 'tandem') await waitForStandby(server.url, READY_TIMEOUT_MS);
    for (const c of CONNECTIONS) {
      await runWrk(server.url, idsFile, c, WARMUP_SEC);
      const r = await measureCell(server, idsFile, c);
      const byRole = Object.entries(r.cpu.byRole)
        .filter(([, us]) => us > 0)
        .map(([role, us]) => `${role} ${cpuUsPerAnswered(r, us).toFixed(1)}`)
        .join(', ');
      log(
        `http ${label} c=${c} ${kind}: ${r.rps.toFixed(0)} req/s p50 ${(r.p50us / 1000).toFixed(2)} ms p99 ${(r.p99us / 1000).toFixed(2)} ms errors ${errorsOf(r)}; CPU µs/request ${cpuUsPerAnswered(r).toFixed(1)} (${byRole})`,
      );
      runs.set(c, r);
    }
  } finally {
    await stopTracked(server.child);
  }
  return runs;
}

export async function benchHttp(name: DatasetName): Promise<HttpRow[]> {
  const dataset = await prepareDataset(name);
  const runs = new Map<string, HttpRun[]>();
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order between rounds so no server always runs first (or right after a heavy one).
    const order = round % 2 === 0 ? SERVERS : [...SERVERS].reverse();
    for (const kind of order) {
      const measured = await measureServer(kind, dataset.dataDir, dataset.idsFile, `${name} round ${round}`);
      for (const [c, r] of measured) runs.set(`${kind}/${c}`, [...(runs.get(`${kind}/${c}`) ?? []), r]);
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
    oneServerAtATime: true,
    rows,
  });
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  for (const name of process.argv.length > 2 ? (process.argv.slice(2) as DatasetName[]) : httpDatasets()) await benchHttp(name);
}
