// Swap under load: continuous load (bench/loadgen, its own process) at c=16 and c=64 while new index
// versions are published, each once the last has settled and a quiet stretch has passed; tandem in
// view and load mode, and as the reference the single-process server under PM2 cluster mode (2
// instances, `pm2 reload` after each publish).
// Writes bench/results/swap-<dataset>.json (summary rows and a latency time series for the plot).

import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CACHE,
  DIST,
  ensureDir,
  freePort,
  log,
  machine,
  percentileOf,
  QUICK,
  RESULTS,
  ROOT,
  run,
  spawnTracked,
  stopTracked,
  tandemCommand,
  tandemStatus,
  waitFor200,
  waitForStandby,
  writeJson,
} from './common.js';
import { type Dataset, type DatasetName, freshDataDir, prepareDataset, publishAsBuilder } from './datasets.js';
import { childrenOf, machineUsedBytes, procMemory } from './procfs.js';
import { type Phase, type PhaseKind, phaseAt, type Span, type SupervisorTransition, tandemPhases } from './swap-phases.js';

export type SwapTarget = 'tandem-view' | 'tandem-load' | 'pm2';

interface Window {
  start: number;
  end: number;
}

interface MemSample {
  t: number;
  rss: number;
  pss: number;
  machine: number;
  pids: number;
}

/** Requests answered in one phase of the run and their p99; `ratio`: over the quiet p99. */
export interface PhaseLatency {
  requests: number;
  p99Ms: number;
  ratio: number;
  /** Median length of the phase's stretches. */
  lengthMsMedian: number;
}

export interface SwapRow {
  dataset: DatasetName;
  target: SwapTarget;
  connections: number;
  cadenceSec: number;
  published: number;
  swaps: number;
  requests: number;
  failed: number;
  failedConnection: number;
  failedStatus: Record<string, number>;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  p99InsideMs: number;
  p99OutsideMs: number;
  p99Ratio: number;
  requestsInside: number;
  windowMsMedian: number;
  servingRss: { insideMax: number; outsideMax: number; pssInsideMax: number; pssOutsideMax: number };
  machineUsed: { insideMax: number; outsideMax: number; min: number };
  indexBytes: number;
  command: string;
  series: { t: number; p50: number; p99: number; max: number; failed: number; rps: number }[];
  windows: Window[];
  /** Quiet (no publish, no fetch) against the publish-to-swap and standby-fetch phases (bench/swap-phases.ts). */
  phases: { quiet: { requests: number; p99Ms: number } } & Record<PhaseKind, PhaseLatency>;
  /** The phases' stretches, seconds into the run (for the plot). */
  phaseSpans: Phase[];
}

const PM2 = path.join(ROOT, 'node_modules', '.bin', 'pm2');
const PM2_HOME = path.join(CACHE, 'pm2-home');
const PM2_APP = 'tandem-bench-ref';

function pm2(args: string[]): Promise<string> {
  return run(PM2, args, { env: { ...process.env, PM2_HOME } });
}

/** PM2's workers are the children of its daemon (their command line names PM2's container, not our script). */
function pm2Workers(): number[] {
  const daemon = Number(readFileSync(path.join(PM2_HOME, 'pm2.pid'), 'utf8').trim());
  return childrenOf(daemon);
}

const LARGE = 500_000;

function swapsWanted(dataset: Dataset): number {
  return Number(process.env.BENCH_SWAPS ?? (QUICK ? 3 : dataset.manifest.count >= LARGE ? 10 : 25));
}

/** Seconds of quiet load (no publish, no fetch) before the first publish and after each swap has settled. */
function cadenceFor(dataset: Dataset): number {
  if (process.env.BENCH_CADENCE) return Number(process.env.BENCH_CADENCE);
  return dataset.manifest.count >= LARGE ? 10 : QUICK ? 1 : 3;
}

/** How long one publish may take to be served by both children before the run goes on without it. */
const SETTLE_TIMEOUT_MS = 10 * 60_000;

/**
 * Swap windows of a tandem run: the supervisor leaving `serving` until it is back in `serving`,
 * where returns to `serving` followed within 100 ms by leaving it again are merged (a swap is
 * fetch, promote, drain, then the old answerer fetching the new version as the standby).
 */
function tandemWindows(transitions: SupervisorTransition[]): Window[] {
  const raw = tandemRawWindows(transitions);
  const merged: Window[] = [];
  for (const w of raw) {
    const last = merged.at(-1);
    if (last && w.start - last.end < 100) last.end = w.end;
    else merged.push({ ...w });
  }
  return merged;
}

function supervisorTransitions(traceFile: string): SupervisorTransition[] {
  const transitions: SupervisorTransition[] = [];
  for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { ts: string; actor: string; from: string | null; to: string };
    if (r.actor === 'supervisor' && r.from !== r.to) transitions.push({ t: Date.parse(r.ts), from: r.from, to: r.to });
  }
  return transitions;
}

function tandemRawWindows(transitions: SupervisorTransition[]): Window[] {
  const windows: Window[] = [];
  let start: number | null = null;
  for (const { t, from, to } of transitions) {
    if (from === 'serving' && start === null) start = t;
    else if (to === 'serving' && start !== null) {
      windows.push({ start, end: t });
      start = null;
    }
  }
  return windows;
}

/** A loadgen records file: send time (ms since the epoch), latency (ms) and status per request. */
export function readRecords(file: string): { t: Float64Array; ms: Float64Array; code: Float64Array } {
  const buf = readFileSync(file);
  const n = buf.length / 24;
  const t = new Float64Array(n),
    ms = new Float64Array(n),
    code = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = buf.readDoubleLE(i * 24);
    ms[i] = buf.readDoubleLE(i * 24 + 8);
    code[i] = buf.readDoubleLE(i * 24 + 16);
  }
  return { t, ms, code };
}

function inside(windows: Window[], t: number, padMs = 0): boolean {
  for (const w of windows) if (t >= w.start - padMs && t <= w.end + padMs) return true;
  return false;
}

/** A variant of a run: extra flags for tandem's main process, and a label that keeps its files apart. */
export interface SwapVariant {
  label: string;
  tandemArgs: string[];
  swaps?: number;
}

async function startTarget(
  target: SwapTarget,
  dataDir: string,
  port: number,
  runsDir: string,
  variant?: SwapVariant,
): Promise<ChildProcess | null> {
  if (target === 'pm2') {
    await pm2(['kill']).catch(() => '');
    await pm2([
      'start',
      path.join(DIST, 'bench', 'servers', 'single.js'),
      '--name',
      PM2_APP,
      '-i',
      '2',
      '--wait-ready',
      '--listen-timeout',
      '30000',
      '--kill-timeout',
      '5000',
      '--',
      '--data',
      dataDir,
      '--port',
      String(port),
      '--kind',
      'held',
      '--mode',
      'view',
    ]);
    return null;
  }
  const mode = target === 'tandem-view' ? 'view' : 'load';
  return spawnTracked(process.execPath, tandemCommand(dataDir, port, mode, runsDir, variant?.tandemArgs));
}

export async function swapRun(dataset: Dataset, target: SwapTarget, connections: number, variant?: SwapVariant): Promise<SwapRow> {
  const cadence = cadenceFor(dataset);
  const swaps = variant?.swaps ?? swapsWanted(dataset);
  const work = ensureDir(path.join(CACHE, dataset.name, 'swap'));
  const dataDir = await freshDataDir(dataset, path.join(work, 'data'));
  const tag = `${target}-${connections}${variant ? `-${variant.label}` : ''}`;
  const runsDir = path.join(work, `runs-${tag}`);
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const main = await startTarget(target, dataDir, port, runsDir, variant);
  const out = path.join(work, `records-${tag}.bin`);
  const loadgenArgs = [
    path.join(DIST, 'bench', 'loadgen.js'),
    '--port',
    String(port),
    '--ids',
    dataset.idsFile,
    '--connections',
    String(connections),
  ];
  const mem: MemSample[] = [];
  const pm2Windows: Window[] = [];
  const publishes: Span[] = [];
  let published = 0;
  let finalStatus: { swaps?: number } = {};
  try {
    await waitFor200(`${url}/ready`, 15 * 60_000);
    await run(process.execPath, [...loadgenArgs, '--seconds', String(QUICK ? 1 : 3)]); // warm-up, not recorded
    const pidsOfTarget = async (): Promise<number[]> => {
      if (target === 'pm2') return pm2Workers();
      const status = (await (await fetch(`${url}/status`)).json()) as { slots: { pid: number | null }[] };
      return status.slots.map((s) => s.pid).filter((p): p is number => p !== null);
    };
    let pids = await pidsOfTarget();
    let sampling = true;
    const sampler = (async () => {
      let tick = 0;
      while (sampling) {
        if (tick++ % 4 === 0) pids = await pidsOfTarget().catch(() => pids);
        const readings = pids.map(procMemory).filter((m) => m !== null);
        mem.push({
          t: Date.now(),
          rss: readings.reduce((s, m) => s + m.rss, 0),
          pss: readings.reduce((s, m) => s + m.pss, 0),
          machine: machineUsedBytes(),
          pids: readings.length,
        });
        await sleep(250);
      }
    })();
    log(
      `swap ${dataset.name} ${target} c=${connections}: ${swaps} publishes, each once the last has settled and ${cadence} s of quiet load passed`,
    );
    // The load runs until every swap has settled plus one quiet stretch; its own limit only bounds a run that hangs.
    const loadChild = spawnTracked(
      process.execPath,
      [...loadgenArgs, '--seconds', String(swaps * (SETTLE_TIMEOUT_MS / 1000 + cadence)), '--out', out],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let loadOut = '';
    loadChild.stdout?.setEncoding('utf8').on('data', (c: string) => (loadOut += c));
    const load = new Promise<string>((resolve) => loadChild.once('exit', () => resolve(loadOut)));
    // Phases never overlap and quiet load lies between them: each publish waits for the last swap,
    // its standby fetch (or PM2's reload) and a quiet stretch.
    await sleep(cadence * 1000);
    for (let i = 1; i <= swaps; i++) {
      const servedBefore = target === 'pm2' ? null : (await tandemStatus(url)).servingVersion;
      const publish = { start: Date.now(), end: 0 };
      await publishAsBuilder(dataset.versionDir, dataDir);
      publish.end = Date.now();
      publishes.push(publish);
      published++;
      if (target === 'pm2') {
        const w = { start: Date.now(), end: 0 };
        await pm2(['reload', PM2_APP]);
        w.end = Date.now();
        pm2Windows.push(w);
      } else {
        await waitForStandby(url, SETTLE_TIMEOUT_MS, servedBefore).catch((err: Error) =>
          log(`swap ${dataset.name} ${target}: ${err.message}`),
        );
      }
      await sleep(cadence * 1000);
    }
    loadChild.kill('SIGTERM');
    const summary = await load;
    sampling = false;
    await sampler;
    if (target !== 'pm2') finalStatus = (await (await fetch(`${url}/status`)).json()) as { swaps?: number };
    log(`swap ${dataset.name} ${target} c=${connections}: ${summary.trim()}`);
  } finally {
    if (target === 'pm2') {
      await pm2(['delete', PM2_APP]).catch(() => '');
      await pm2(['kill']).catch(() => '');
    }
    if (main) await stopTracked(main);
  }

  const traceFile = path.join(runsDir, 'latest', 'trace.jsonl');
  // The trace is read once: both the windows and the phases come from its supervisor transitions.
  const transitions = target !== 'pm2' && existsSync(traceFile) ? supervisorTransitions(traceFile) : [];
  const windows = target === 'pm2' ? pm2Windows : tandemWindows(transitions);
  // PM2's swap ends when its reload does; it has no standby fetch.
  const phases: Phase[] =
    target === 'pm2'
      ? publishes.map((p, i) => ({ kind: 'publishToSwap', start: p.start, end: pm2Windows[i]?.end ?? p.end }))
      : tandemPhases(transitions, publishes);
  const rec = readRecords(out);
  // Records are written in completion order; a timed-out request carries its (early) send time.
  let t0 = Infinity,
    tEnd = -Infinity;
  for (const t of rec.t) {
    if (t < t0) t0 = t;
    if (t > tEnd) tEnd = t;
  }
  if (!Number.isFinite(t0)) t0 = tEnd = Date.now();
  const inWindows = windows.filter((w) => w.end >= t0 && w.start <= tEnd);
  const insideMs: number[] = [],
    outsideMs: number[] = [],
    allMs: number[] = [];
  const byPhase: Record<PhaseKind | 'quiet', number[]> = { quiet: [], publishToSwap: [], standbyFetch: [] };
  let failed = 0,
    failedConnection = 0;
  const failedStatus: Record<string, number> = {};
  for (let i = 0; i < rec.t.length; i++) {
    const ok = rec.code[i] === 200;
    if (!ok) {
      failed++;
      if (rec.code[i] === 0) failedConnection++;
      else failedStatus[String(rec.code[i])] = (failedStatus[String(rec.code[i])] ?? 0) + 1;
      continue;
    }
    allMs.push(rec.ms[i]!);
    (inside(inWindows, rec.t[i]!) ? insideMs : outsideMs).push(rec.ms[i]!);
    byPhase[phaseAt(phases, rec.t[i]!, rec.ms[i]!) ?? 'quiet'].push(rec.ms[i]!);
  }
  const bucketMs = 250;
  const buckets = new Map<number, { ms: number[]; failed: number }>();
  for (let i = 0; i < rec.t.length; i++) {
    const b = Math.floor((rec.t[i]! - t0) / bucketMs);
    const entry = buckets.get(b) ?? { ms: [], failed: 0 };
    if (rec.code[i] === 200) entry.ms.push(rec.ms[i]!);
    else entry.failed++;
    buckets.set(b, entry);
  }
  const series = [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([b, e]) => ({
      t: (b * bucketMs) / 1000,
      p50: e.ms.length ? percentileOf(e.ms, 50) : 0,
      p99: e.ms.length ? percentileOf(e.ms, 99) : 0,
      max: e.ms.length ? Math.max(...e.ms) : 0,
      failed: e.failed,
      rps: (e.ms.length + e.failed) * (1000 / bucketMs),
    }));
  const memIn = mem.filter((m) => inside(inWindows, m.t, 250));
  const memOut = mem.filter((m) => !inside(inWindows, m.t, 250));
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
  const p99In = insideMs.length ? percentileOf(insideMs, 99) : NaN;
  const p99Out = outsideMs.length ? percentileOf(outsideMs, 99) : NaN;
  const lengths = inWindows.map((w) => w.end - w.start).sort((a, b) => a - b);
  const p99Of = (ms: number[]) => (ms.length ? percentileOf(ms, 99) : NaN);
  const quietP99 = p99Of(byPhase.quiet);
  const phaseLatency = (kind: PhaseKind): PhaseLatency => ({
    requests: byPhase[kind].length,
    p99Ms: p99Of(byPhase[kind]),
    ratio: p99Of(byPhase[kind]) / quietP99,
    lengthMsMedian: percentileOf(
      phases.filter((p) => p.kind === kind).map((p) => p.end - p.start),
      50,
    ),
  });
  const indexBytes = dataset.manifest.files['index.usearch']?.bytes ?? 0;
  const row: SwapRow = {
    dataset: dataset.name,
    target,
    connections,
    cadenceSec: cadence,
    published,
    swaps: target === 'pm2' ? pm2Windows.length : (finalStatus.swaps ?? inWindows.length),
    requests: rec.t.length,
    failed,
    failedConnection,
    failedStatus,
    rps: rec.t.length / ((tEnd - t0) / 1000 || 1),
    p50Ms: allMs.length ? percentileOf(allMs, 50) : NaN,
    p99Ms: allMs.length ? percentileOf(allMs, 99) : NaN,
    p99InsideMs: p99In,
    p99OutsideMs: p99Out,
    p99Ratio: p99In / p99Out,
    requestsInside: insideMs.length,
    windowMsMedian: lengths[Math.floor(lengths.length / 2)] ?? NaN,
    servingRss: {
      insideMax: max(memIn.map((m) => m.rss)),
      outsideMax: max(memOut.map((m) => m.rss)),
      pssInsideMax: max(memIn.map((m) => m.pss)),
      pssOutsideMax: max(memOut.map((m) => m.pss)),
    },
    machineUsed: {
      insideMax: max(memIn.map((m) => m.machine)),
      outsideMax: max(memOut.map((m) => m.machine)),
      min: mem.length ? Math.min(...mem.map((m) => m.machine)) : 0,
    },
    indexBytes,
    command:
      `node dist/bench/loadgen.js --port PORT --ids <ids.txt> --connections ${connections}` +
      (target === 'pm2'
        ? ` while: republish + pm2 reload ${PM2_APP}, then ${cadence} s quiet, ${swaps} times`
        : ` while: republish, wait for the swap and the standby fetch, then ${cadence} s quiet, ${swaps} times (tandem --mode ${target === 'tandem-view' ? 'view' : 'load'})`),
    series,
    windows: inWindows.map((w) => ({ start: (w.start - t0) / 1000, end: (w.end - t0) / 1000 })),
    phases: {
      quiet: { requests: byPhase.quiet.length, p99Ms: quietP99 },
      publishToSwap: phaseLatency('publishToSwap'),
      standbyFetch: phaseLatency('standbyFetch'),
    },
    phaseSpans: phases.map((p) => ({ kind: p.kind, start: (p.start - t0) / 1000, end: (p.end - t0) / 1000 })),
  };
  log(
    `swap ${dataset.name} ${target} c=${connections}: failed ${failed}/${rec.t.length}, swaps ${row.swaps}, p99 quiet ${quietP99.toFixed(2)} ms, publish-to-swap ${row.phases.publishToSwap.p99Ms.toFixed(2)} ms (${row.phases.publishToSwap.ratio.toFixed(2)}x), standby fetch ${row.phases.standbyFetch.p99Ms.toFixed(2)} ms (${row.phases.standbyFetch.ratio.toFixed(2)}x)`,
  );
  return row;
}

export function swapDatasets(): DatasetName[] {
  const raw = process.env.BENCH_SWAP_DATASETS;
  if (raw) return raw.split(',') as DatasetName[];
  return QUICK ? ['demo-10k'] : ['demo-10k', 'demo-1m'];
}

export async function benchSwap(name: DatasetName): Promise<SwapRow[]> {
  const dataset = await prepareDataset(name);
  const targets = (process.env.BENCH_SWAP_TARGETS ?? 'tandem-view,tandem-load,pm2').split(',') as SwapTarget[];
  // A quick pass checks the pipeline: one connection count is enough for that.
  const conns = (process.env.BENCH_SWAP_CONNECTIONS ?? (QUICK ? '64' : '16,64')).split(',').map(Number);
  const rows: SwapRow[] = [];
  for (const c of conns) for (const target of targets) rows.push(await swapRun(dataset, target, c));
  writeJson(path.join(RESULTS, `swap-${name}.json`), {
    machine: machine(),
    dataset: name,
    count: dataset.manifest.count,
    quick: QUICK,
    swapsPerConfig: swapsWanted(dataset),
    rows,
  });
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  for (const name of process.argv.length > 2 ? (process.argv.slice(2) as DatasetName[]) : swapDatasets()) await benchSwap(name);
}
