// `tandem stats` streaming (a ring of per-minute sums) against the naive recomputation (`--naive`:
// the whole input in memory, every window summed afresh) on 1,000 to 1,000,000 synthetic trace
// lines: wall time and peak RSS, the two alternating, and whether their outputs are the same.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { syntheticTrace } from '../trace/synthetic-trace.js';
import { DIST, log, machine, QUICK, RESULTS, writeJson } from './common.js';

const WINDOW_MINUTES = 10;
const SIZES = QUICK ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];
const ROUNDS = QUICK ? 1 : 3;

interface Run {
  ms: number;
  maxRssKiB: number;
  cpuMs: number;
  sha256: string;
}

export interface StatsRow {
  lines: number;
  minutes: number;
  streaming: Run[];
  naive: Run[];
  sameOutput: boolean;
}

export interface StatsFile {
  machine: ReturnType<typeof machine>;
  command: string;
  windowMinutes: number;
  rounds: number;
  quick: boolean;
  rows: StatsRow[];
}

async function writeTrace(file: string, lines: number): Promise<void> {
  const out = createWriteStream(file);
  for (const line of syntheticTrace({ lines, seed: 42, windowMinutes: WINDOW_MINUTES })) {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function runStats(input: string, naive: boolean, scratch: string): Promise<Run & { output: string }> {
  const usageFile = path.join(scratch, 'rusage.json');
  const outputFile = path.join(scratch, naive ? 'naive.out' : 'streaming.out');
  const args = ['--import', path.join(DIST, 'bench', 'rusage-preload.js'), path.join(DIST, 'trace', 'stats-cli.js'), input];
  if (naive) args.push('--naive');
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, BENCH_RUSAGE_FILE: usageFile },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const output = createWriteStream(outputFile);
  child.stdout.pipe(output);
  const [code] = (await once(child, 'close')) as [number | null];
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (code !== 0) throw new Error(`tandem stats${naive ? ' --naive' : ''} exited ${code}`);
  if (!output.writableFinished) await once(output, 'finish');
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRssKiB: number; cpuMs: number };
  const text = readFileSync(outputFile, 'utf8');
  return { ms, ...usage, sha256: createHash('sha256').update(text).digest('hex'), output: text };
}

export async function benchStats(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-stats-'));
  const rows: StatsRow[] = [];
  try {
    for (const lines of SIZES) {
      const input = path.join(scratch, `trace-${lines}.jsonl`);
      await writeTrace(input, lines);
      const streaming: Run[] = [];
      const naive: Run[] = [];
      let minutes = 0;
      for (let round = 0; round < ROUNDS; round++) {
        // Alternating, the order flipped each round, so neither always runs on a warmer machine.
        for (const isNaive of round % 2 === 0 ? [false, true] : [true, false]) {
          const { output, ...run } = await runStats(input, isNaive, scratch);
          (isNaive ? naive : streaming).push(run);
          minutes = output.split('\n').length - 1;
        }
      }
      const sameOutput = [...streaming, ...naive].every((run) => run.sha256 === streaming[0]!.sha256);
      rows.push({ lines, minutes, streaming, naive, sameOutput });
      rmSync(input);
      const last = rows.at(-1)!;
      log(
        `stats ${lines} lines: streaming ${last.streaming.map((r) => r.ms.toFixed(0)).join('/')} ms, naive ${last.naive.map((r) => r.ms.toFixed(0)).join('/')} ms; same output: ${sameOutput}`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const file: StatsFile = {
    machine: machine(),
    command: `${QUICK ? 'BENCH_QUICK=1 ' : ''}BENCH_ONLY=stats make bench`,
    windowMinutes: WINDOW_MINUTES,
    rounds: ROUNDS,
    quick: QUICK,
    rows,
  };
  writeJson(path.join(RESULTS, 'stats.json'), file);
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) await benchStats();
