// Shared helpers of the benchmarks: cache paths, child processes that are always cleaned up,
// waiting for a port, a quiet logger, and the knobs (BENCH_QUICK, BENCH_DURATION, ...).
import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { indexesDir, LATEST_FILE, MANIFEST_FILE, type Manifest, versionDir } from '../index-version/format.js';
import type { SupervisorStatus } from '../supervisor/options.js';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const CACHE = path.resolve(process.env.BENCH_CACHE ?? path.join(ROOT, '.cache', 'bench'));
export const RESULTS = path.resolve(process.env.BENCH_RESULTS ?? path.join(ROOT, 'bench', 'results'));
export const DIST = path.join(ROOT, 'dist');

export const QUICK = process.env.BENCH_QUICK === '1';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a number > 0, got ${raw}`);
  return n;
}

/** Seconds per measured wrk run (20 by default, 3 in quick mode). */
export const DURATION_SEC = envNumber('BENCH_DURATION', QUICK ? 3 : 15);
export const WARMUP_SEC = envNumber('BENCH_WARMUP', QUICK ? 1 : 5);
/** How many alternating rounds of every comparison (the median is reported, and the spread). */
export const ROUNDS = envNumber('BENCH_ROUNDS', QUICK ? 2 : 3);

export const quietLog = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeJson(file: string, value: unknown): void {
  ensureDir(path.dirname(file));
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

export function readJson<T>(file: string): T | null {
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

function gitCommit(): string {
  try {
    return (
      execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim() + (process.env.BENCH_SNAPSHOT ? ' (clean snapshot of HEAD)' : '')
    );
  } catch {
    return process.env.BENCH_COMMIT ?? 'unknown';
  }
}

export type Machine = ReturnType<typeof machine>;

/** A run's time to the minute, as every table of the report gives it: "2026-12-06 21:46". */
export function runTime(m: Machine): string {
  return m.date.slice(0, 16).replace('T', ' ');
}

/** When, from which commit and in which mode a table was measured: every table of the report says it. */
export function runLabel(m: Machine, quick = false): string {
  return `${runTime(m)} UTC, commit ${m.commit ?? 'unknown'}${quick ? ', quick mode' : ''}`;
}

export function machine() {
  const cpu = cpus();
  return {
    commit: process.env.BENCH_COMMIT ?? gitCommit(),
    date: new Date().toISOString(),
    cores: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}

// Every process a benchmark spawns is registered here and killed on exit, on a signal, or when
// the benchmark stops it: no server is ever left listening.
const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
  }
  live.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Spawns in its own process group (so its children die with it) and tracks it for cleanup. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'], detached: true, ...options });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL to the whole group after `graceMs`. */
export async function stopTracked(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
  // The group may still hold grandchildren (tandem's answer/fetch children exit on their own).
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  live.delete(child);
}

/** Runs a command to completion; rejects on a non-zero exit. Captures stdout. */
export function run(command: string, args: string[], options: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
    live.add(child);
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      live.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}`));
    });
  });
}

/** Polls `url` until it answers 200 (or the deadline passes). */
export async function waitFor200(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})`);
}

let nextPort = 18000 + (process.pid % 1000) * 10;
export function freePort(): number {
  return nextPort++;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile of values in any order. */
export function percentileOf(values: readonly number[], p: number): number {
  return percentile(Float64Array.from(values).sort(), p);
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * Runs `query` over `items`, pass after pass, for at least `minMs` (at least one pass): each call's
 * wall time in µs, and this process's CPU-µs per call, which does not depend on how the cores were shared.
 */
export function timeQueries<T>(
  items: readonly T[],
  minMs: number,
  query: (item: T, pass: number) => void,
): { times: number[]; cpuUs: number } {
  const times: number[] = [];
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  for (let pass = 0; pass === 0 || performance.now() - started < minMs; pass++) {
    for (const item of items) {
      const queryStarted = performance.now();
      query(item, pass);
      times.push((performance.now() - queryStarted) * 1000);
    }
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { times, cpuUs: (cpu.user + cpu.system) / times.length };
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** The vector size of the version LATEST names in `dataDir` (null: nothing published yet): the service must be told it. */
function latestDims(dataDir: string): number | null {
  const indexes = indexesDir(dataDir);
  if (!existsSync(path.join(indexes, LATEST_FILE))) return null;
  const version = readFileSync(path.join(indexes, LATEST_FILE), 'utf8').trim();
  return (JSON.parse(readFileSync(path.join(versionDir(dataDir, version), MANIFEST_FILE), 'utf8')) as Manifest).dims;
}

/** The command line of tandem's main process as every benchmark starts it. */
export function tandemCommand(dataDir: string, port: number, mode: 'view' | 'load', runsDir: string, extra: string[] = []): string[] {
  const dims = latestDims(dataDir);
  return [
    path.join(DIST, 'service', 'main.js'),
    '--data',
    dataDir,
    '--port',
    String(port),
    '--mode',
    mode,
    '--runs',
    runsDir,
    '--log-level',
    'warn',
    ...(dims === null ? [] : ['--dims', String(dims)]),
    ...extra,
  ];
}

/** The load generator's totals, from the line it prints when it ends. */
export interface LoadTotals {
  requests: number;
  failed: number;
}

/**
 * bench/loadgen.ts recommending random ids from `idsFile` at `connections`, in a session of its
 * own, for `seconds` or until stop(); resolves to its totals.
 */
export function startLoadgen(port: number, idsFile: string, connections: number, seconds: number) {
  const child = spawnTracked(
    process.execPath,
    [
      path.join(DIST, 'bench', 'loadgen.js'),
      '--port',
      String(port),
      '--ids',
      idsFile,
      '--connections',
      String(connections),
      '--seconds',
      String(seconds),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const done = new Promise<LoadTotals>((resolve) =>
    child.once('exit', () => {
      const totals = JSON.parse(out.trim().split('\n').at(-1) || '{}') as Partial<LoadTotals>;
      resolve({ requests: totals.requests ?? 0, failed: totals.failed ?? -1 });
    }),
  );
  return {
    done,
    /** Ends the load now (each connection finishes its request in flight). */
    stop(): Promise<LoadTotals> {
      child.kill('SIGTERM');
      return done;
    },
  };
}

export async function tandemStatus(url: string): Promise<SupervisorStatus> {
  const res = await fetch(`${url}/status`);
  if (res.status !== 200) throw new Error(`${url}/status answered ${res.status}`);
  return (await res.json()) as SupervisorStatus;
}

/**
 * Until tandem serves a version other than `notVersion` and its spare holds it too, in standby: no
 * fetch runs. A measured stretch starts only then.
 */
export async function waitForStandby(url: string, timeoutMs: number, notVersion: string | null = null): Promise<SupervisorStatus> {
  const deadline = Date.now() + timeoutMs;
  const settled = (status: SupervisorStatus) =>
    status.state === 'serving' &&
    status.servingVersion !== notVersion &&
    status.slots.every((slot) => slot.version === status.servingVersion && (slot.role === 'answer' || slot.state === 'standby'));
  let status = await tandemStatus(url);
  while (!settled(status)) {
    if (Date.now() > deadline)
      throw new Error(
        `tandem at ${url} not serving a new version with a standby spare after ${timeoutMs} ms: ${JSON.stringify(status.slots)}`,
      );
    await sleep(200);
    status = await tandemStatus(url);
  }
  return status;
}
