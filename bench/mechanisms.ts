// What each tail-latency mechanism buys: swap runs under load with the mechanism on and off,
// alternating (on/off, off/on, ...) so drift falls on both arms alike. The figures are the p99 of
// requests in each phase of a swap (publish to swap end, standby fetch) over the quiet p99
// (bench/swap-phases.ts), per arm; plus requests/s and failures.
// Writes bench/results/mechanisms-<dataset>.json.
//   node dist/bench/mechanisms.js [dataset]   (BENCH_MECH_ROUNDS=3, BENCH_MECH_SWAPS=3 at 1M and 10 below, BENCH_MECH_CONNECTIONS=64)
import path from 'node:path';
import { log, type Machine, machine, QUICK, RESULTS, readJson, writeJson } from './common.js';
import { type DatasetName, prepareDataset } from './datasets.js';
import { swapRun } from './swap.js';
import type { SwapRow } from './swap-analysis.js';

/** Each mechanism and the flags that switch it off alone (service/main.ts). */
export const MECHANISMS = [
  { name: 'session niceness', off: ['--no-fetch-session'] },
  { name: 'checksum helper', off: ['--no-checksum-helper'] },
  { name: 'remembered hashes', off: ['--no-remember-hashes'] },
] as const;

export interface MechanismArm {
  round: number;
  on: boolean;
  /** p99 from publish start to swap end, over the quiet p99. */
  publishRatio: number;
  /** p99 during the standby fetch, over the quiet p99. */
  standbyRatio: number;
  /** Median length of the publish-to-swap and standby-fetch stretches (absent in older files). */
  publishToSwapMs?: number;
  standbyFetchMs?: number;
  quietP99Ms: number;
  p99Ms: number;
  rps: number;
  failed: number;
  swaps: number;
}

export interface MechanismResult {
  name: string;
  offFlags: readonly string[];
  arms: MechanismArm[];
  /** The run this row comes from, where it is not the file's (a BENCH_MECH_ONLY re-run). */
  machine?: Machine;
}

const arm = (round: number, on: boolean, row: SwapRow): MechanismArm => ({
  round,
  on,
  publishRatio: row.phases.publishToSwap.ratio,
  standbyRatio: row.phases.standbyFetch.ratio,
  publishToSwapMs: row.phases.publishToSwap.lengthMsMedian,
  standbyFetchMs: row.phases.standbyFetch.lengthMsMedian,
  quietP99Ms: row.phases.quiet.p99Ms,
  p99Ms: row.p99Ms,
  rps: row.rps,
  failed: row.failed,
  swaps: row.swaps,
});

export async function benchMechanisms(name: DatasetName): Promise<MechanismResult[]> {
  const dataset = await prepareDataset(name);
  const rounds = Number(process.env.BENCH_MECH_ROUNDS ?? (QUICK ? 1 : 3));
  // 30 runs: at 1M a swap and its standby fetch take about 25 s, so three a run keep the step near 90 minutes.
  const swaps = Number(process.env.BENCH_MECH_SWAPS ?? (QUICK ? 2 : dataset.manifest.count >= 500_000 ? 3 : 10));
  const connections = Number(process.env.BENCH_MECH_CONNECTIONS ?? 64);
  const only = process.env.BENCH_MECH_ONLY?.split(',');
  const results: MechanismResult[] = [];
  for (const mechanism of MECHANISMS.filter((m) => !only || only.includes(m.name))) {
    const arms: MechanismArm[] = [];
    for (let round = 1; round <= rounds; round++) {
      // Alternate which arm goes first, so a slow drift of the machine favours neither.
      const order = round % 2 === 1 ? [true, false] : [false, true];
      for (const on of order) {
        const label = `${mechanism.name.replace(/\W+/g, '-')}-${on ? 'on' : 'off'}-${round}`;
        const row = await swapRun(dataset, 'tandem-view', connections, { label, tandemArgs: on ? [] : [...mechanism.off], swaps });
        arms.push(arm(round, on, row));
        log(
          `mechanisms ${mechanism.name} round ${round} ${on ? 'on' : 'off'}: p99 publish-to-swap ${row.phases.publishToSwap.ratio.toFixed(2)}x quiet, standby ${row.phases.standbyFetch.ratio.toFixed(2)}x`,
        );
      }
    }
    results.push({ name: mechanism.name, offFlags: mechanism.off, arms, ...(only ? { machine: machine() } : {}) });
  }
  const file = path.join(RESULTS, `mechanisms-${name}.json`);
  // A re-run of some mechanisms replaces their rows only; the others keep their run, which the file names.
  const earlier = only ? readJson<{ machine: Machine; results: MechanismResult[] }>(file) : null;
  if (earlier) {
    for (const result of results) {
      const at = earlier.results.findIndex((r) => r.name === result.name);
      if (at >= 0) earlier.results[at] = result;
      else earlier.results.push(result);
    }
  }
  writeJson(file, {
    machine: earlier?.machine ?? machine(),
    quick: QUICK,
    dataset: name,
    connections,
    swaps,
    rounds,
    results: earlier?.results ?? results,
  });
  return results;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  await benchMechanisms((process.argv[2] as DatasetName | undefined) ?? 'demo-1m');
}
