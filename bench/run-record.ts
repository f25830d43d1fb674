// What one `make bench` run measured (bench/results/run.json), so the report can tell a table of
// this run from one an earlier run or a study left behind.
import type { Machine } from './common.js';

/** The steps a plain `make bench` runs, in the order of the report's sections. */
export const RUN_STEPS = ['http', 'swap', 'freshness', 'kills', 'filters', 'stats', 'scale'] as const;
/** Decision studies: run only when BENCH_ONLY names them, kept in the report under their own commit. */
export const STUDY_STEPS = ['engine', 'mechanisms'];

/** bench/results/run.json: the latest `make bench` run, so the report can tell its tables from older ones. */
export interface BenchRun {
  machine: Machine;
  quick: boolean;
  steps: string[];
  finished: string | null;
}

export function runCommand(run: BenchRun): string {
  const plain = run.steps.join(',') === RUN_STEPS.join(',');
  return `${run.quick ? 'BENCH_QUICK=1 ' : ''}${plain ? '' : `BENCH_ONLY=${run.steps.join(',')} `}make bench`;
}

/** Whether a table of `step` was measured by the latest run, by an earlier one, or is a study run on its own. */
export function tableOrigin(step: string, measured: Machine, run: BenchRun | null): string {
  const inRun = run?.finished != null && measured.date >= run.machine.date && measured.date <= run.finished;
  if (inRun) return 'this run';
  return STUDY_STEPS.includes(step) ? 'study, run on its own' : 'earlier run';
}
