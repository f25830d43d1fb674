// What a swap run measured, read off what it left: the load's records, the trace's swap windows and
// phases, the memory samples; latency in and out of swaps, and the per-bucket series for the plot.
import { existsSync, readFileSync } from 'node:fs';
import { log, percentileOf } from './common.js';
import type { Dataset, DatasetName } from './datasets.js';
import { type Phase, type PhaseKind, phaseAt, type Span, type SupervisorTransition, tandemPhases } from './swap-phases.js';

export type SwapTarget = 'tandem-view' | 'tandem-load' | 'pm2';

export interface Window {
  start: number;
  end: number;
}

export interface MemSample {
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
function readRecords(file: string): { t: Float64Array; ms: Float64Array; code: Float64Array } {
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

/** What a swap run leaves to analyse: what it ran, the load's records file, its trace and its samples. */
export interface SwapRunOutput {
  dataset: Dataset;
  target: SwapTarget;
  connections: number;
  cadence: number;
  published: number;
  command: string;
  /** The load generator's records file. */
  out: string;
  traceFile: string;
  mem: MemSample[];
  publishes: Span[];
  pm2Windows: Window[];
  finalStatus: { swaps?: number };
}

export function analyseSwapRun({
  dataset,
  target,
  connections,
  cadence,
  published,
  command,
  out,
  traceFile,
  mem,
  publishes,
  pm2Windows,
  finalStatus,
}: SwapRunOutput): SwapRow {
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
    command,
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
