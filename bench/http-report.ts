// BENCHMARKS.md's section on HTTP serving, from bench/results/http-<dataset>.json.
import { type Machine, median, runLabel } from './common.js';
import { cpuUsPerAnswered, type HttpRow, type HttpRun, type ProcessRole } from './http.js';
import { DATASET_TITLES, ratio } from './report-format.js';
import { errorsOf } from './wrk.js';

export interface HttpFile {
  machine: Machine;
  dataset: string;
  count: number;
  dims: number;
  quick: boolean;
  rounds: number;
  durationSec: number;
  warmupSec: number;
  commands: Record<string, string>;
  /** Each server ran alone, in a session of its own, as did wrk (absent in runs before that harness). */
  oneServerAtATime?: boolean;
  rows: HttpRow[];
}

const ms = (us: number) => (us / 1000).toFixed(2);

export const HTTP_INTRO =
  "Load from wrk (2 threads, keep-alive) on 127.0.0.1; four servers on the same data, measured alternately: Fastify returning a constant body of the same size (a real answer), the same HNSW search in one process (`roles/held-index.ts`, no supervisor, no ZeroMQ; the requests of one event-loop turn searched as one batch by the answer child's own batch search, in batches of at most the router's 32), exact brute force in one process (usearch `exactSearch`, 1 thread), and tandem (`node dist/service/main.js --mode view`). wrk and every server lead sessions of their own (Linux autogroup scheduling shares CPU between sessions first; tandem's two children lead one each, as the supervisor starts them), and only the server under test runs during its cells: each is started for its cells and stopped after them (tandem measured once its spare holds the served version).";

const SERVER_TITLES: Record<string, string> = {
  bare: 'bare Fastify, constant body',
  held: 'single process, HeldIndex in-process',
  exact: 'single process, exact brute force',
  tandem: 'tandem (API + supervisor + 2 children)',
};

/**
 * Answered requests per second: a fast error is not served load. wrk's own req/s counts non-2xx
 * replies too, which once made an overloaded server look 20x faster than it was.
 */
function answeredPerSec(run: HttpRun): number {
  return (run.requests - errorsOf(run)) / run.durationSec;
}

/** The median of a figure over a cell's rounds, and its spread (min and max). */
interface Spread {
  median: number;
  min: number;
  max: number;
}

function spreadOf(values: number[]): Spread {
  const measured = values.filter(Number.isFinite);
  if (measured.length === 0) return { median: NaN, min: NaN, max: NaN };
  return { median: median(measured), min: Math.min(...measured), max: Math.max(...measured) };
}

const showSpread = (s: Spread, digits: number) =>
  Number.isFinite(s.median) ? `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})` : 'n/a';

/** CPU µs per answered request, every process of the server summed; n/a for a run before the column existed. */
function cpuPerRequest(row: HttpRow): Spread {
  return spreadOf(row.runs.map((run) => (run.cpu ? cpuUsPerAnswered(run) : NaN)));
}

const ROLE_ORDER: ProcessRole[] = ['main', 'answer', 'share', 'fetch', 'draining', 'other', 'exited'];

/** A multi-process server's CPU per answered request by process (median of rounds), e.g. "main 83, answer 82". */
function cpuByProcess(row: HttpRow): string {
  const parts: string[] = [];
  for (const role of ROLE_ORDER) {
    const per = spreadOf(row.runs.map((run) => (run.cpu?.byRole[role] === undefined ? NaN : cpuUsPerAnswered(run, run.cpu.byRole[role]))));
    if (Number.isFinite(per.median) && (role === 'main' || Math.abs(per.median) >= 0.05)) parts.push(`${role} ${showSpread(per, 1)}`);
  }
  return parts.join(', ');
}

export function httpSection(file: HttpFile): string {
  const out: string[] = [];
  out.push(`### ${DATASET_TITLES[file.dataset] ?? file.dataset}${file.quick ? ' (quick mode)' : ''}`);
  out.push('');
  out.push(
    `Run ${runLabel(file.machine, file.quick)}; ${file.rounds} round(s), servers alternating, ${file.oneServerAtATime ? 'each server started for its own cells and stopped after them' : 'all four running side by side (an earlier harness)'}; ${file.durationSec} s per cell after ${file.warmupSec} s warm-up. Figures: median of the rounds (min-max).`,
  );
  out.push(
    'Command per cell (the ids file holds ' +
      (file.count >= 100_000 ? '100,000 random' : `${file.count.toLocaleString('en')} random`) +
      ' ids of the data set):',
  );
  out.push('');
  out.push('```');
  for (const cmd of Object.values(file.commands)) out.push(cmd);
  out.push('```');
  out.push('');
  out.push(
    "`answered/s` counts successful (2xx) replies only; in a cell with errors the latency columns mix in the error replies (marked *). `CPU µs / request`: utime + stime of all the server's processes (from `/proc/<pid>/stat`, the tree read before and after the cell) per answered request; by process for tandem (main, the answering child, the spare), where a row of one process shows only main.",
  );
  out.push('');
  out.push(
    '| c | server | answered/s | vs bare | CPU µs / request | vs bare | CPU µs / request by process | p50 ms | p99 ms | p99.9 ms | errors / requests |',
  );
  out.push('| --: | --- | --: | --: | --: | --: | --- | --: | --: | --: | --: |');
  const byC = new Map<number, HttpRow[]>();
  for (const r of file.rows) byC.set(r.connections, [...(byC.get(r.connections) ?? []), r]);
  const throughput = (row: HttpRow) => spreadOf(row.runs.map(answeredPerSec));
  for (const [c, rows] of byC) {
    const bare = rows.find((r) => r.server === 'bare');
    for (const r of rows) {
      const mark = r.errors > 0 ? '*' : '';
      const cpu = cpuPerRequest(r);
      out.push(
        `| ${c} | ${SERVER_TITLES[r.server] ?? r.server} | ${showSpread(throughput(r), 0)} | ${bare ? ratio(throughput(r).median, throughput(bare).median) : 'n/a'} | ${showSpread(cpu, 1)} | ${bare ? ratio(cpu.median, cpuPerRequest(bare).median) : 'n/a'} | ${cpuByProcess(r)} | ${ms(r.p50us)}${mark} | ${ms(r.p99us)}${mark} | ${ms(r.p999us)}${mark} | ${r.errors} / ${r.requests} |`,
      );
    }
  }
  out.push('');
  const lines: string[] = [];
  for (const [c, rows] of byC) {
    const t = rows.find((r) => r.server === 'tandem');
    const h = rows.find((r) => r.server === 'held');
    const e = rows.find((r) => r.server === 'exact');
    if (t && h)
      lines.push(
        `c=${c}: tandem / in-process ${ratio(throughput(t).median, throughput(h).median)}` +
          (e ? `, in-process HNSW / exact ${ratio(throughput(h).median, throughput(e).median)}` : ''),
      );
  }
  if (lines.length) out.push(`Throughput ratios (answered/s, medians), same run: ${lines.join('; ')}.`, '');
  return out.join('\n');
}
