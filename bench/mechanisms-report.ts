// BENCHMARKS.md's section on the tail-latency mechanisms, from bench/results/mechanisms-*.json.
import { type Machine, runLabel } from './common.js';
import type { MechanismArm, MechanismResult } from './mechanisms.js';

export interface MechanismsFile {
  machine: Machine;
  /** Absent in files from before it was recorded. */
  quick?: boolean;
  dataset: string;
  connections: number;
  swaps: number;
  rounds: number;
  results: MechanismResult[];
}

function spread(all: (number | undefined)[], digits: number): string {
  // Results files from before the phase split have no phase ratios.
  const values = all.filter((v): v is number => Number.isFinite(v));
  if (values.length === 0) return '-';
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const range = sorted.length > 1 ? ` (${sorted[0]!.toFixed(digits)}-${sorted.at(-1)!.toFixed(digits)})` : '';
  return `${median.toFixed(digits)}${range}`;
}

function column(arms: MechanismArm[], on: boolean, pick: (arm: MechanismArm) => number | undefined, digits: number): string {
  return spread(arms.filter((a) => a.on === on).map(pick), digits);
}

export function mechanismsSection(file: MechanismsFile): string {
  const lines = [
    `### ${file.dataset}, ${file.connections} connections, ${file.swaps} swaps per run, ${file.rounds} rounds of on/off in alternating order`,
    '',
    `Each row switches one mechanism off alone (the flag named) against the default with everything on. Median (range) over the rounds. Command: \`node dist/bench/mechanisms.js ${file.dataset}\`, run ${runLabel(file.machine, file.quick === true)}.`,
    '',
    '| mechanism | arm | p99 publish to swap / quiet | p99 standby fetch / quiet | publish to swap s | standby fetch s | p99 quiet ms | p99 all ms | req/s | failed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
  const rerun: string[] = [];
  for (const { name, offFlags, arms, machine } of file.results) {
    if (machine) rerun.push(`${name}: run ${runLabel(machine)}`);
    for (const on of [true, false]) {
      const failed = arms.filter((a) => a.on === on).reduce((sum, a) => sum + a.failed, 0);
      const of = (pick: (arm: MechanismArm) => number | undefined, digits: number) => column(arms, on, pick, digits);
      lines.push(
        `| ${on ? name : ''} | ${on ? "on (its run's default)" : `off: \`${offFlags.join(' ')}\``} | ${of((a) => a.publishRatio, 2)} | ${of((a) => a.standbyRatio, 2)} | ${of((a) => seconds(a.publishToSwapMs), 1)} | ${of((a) => seconds(a.standbyFetchMs), 1)} | ${of((a) => a.quietP99Ms, 1)} | ${of((a) => a.p99Ms, 1)} | ${of((a) => a.rps, 0)} | ${failed} |`,
      );
    }
  }
  if (rerun.length) lines.push('', `Rows measured again on their own (\`BENCH_MECH_ONLY\`): ${rerun.join('; ')}.`);
  if (file.results.every(({ arms }) => arms.every((a) => a.publishRatio === undefined)))
    lines.push(
      '',
      'This run predates the phase split (bench/swap-phases.ts), so it has no phase ratios; its figure was the p99 in the supervisor-out-of-serving windows over outside (git history of this file).',
    );
  lines.push('');
  return lines.join('\n');
}
