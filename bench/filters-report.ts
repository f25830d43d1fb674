// BENCHMARKS.md's section on filtered search, from bench/results/filters-<dataset>.json.
import { runLabel } from './common.js';
import type { FiltersFile } from './filters.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;

export const FILTERS_INTRO =
  "Filtered `recommend` queries through the answer child's own code (`roles/query-request.ts`, `HeldIndex.nearestMany`) in one process on one thread, no HTTP: at 1M profiles the search bounds throughput. For each share of profiles matching, the filter (ages, a gender, a city, or combinations) whose share is nearest to it; recall@10 against exact filtered kNN (usearch `exactSearch` over the admitted rows); queries per second per round (each cell repeats its ids for at least 2 s, after a warm-up pass), the unfiltered queries (same ids) alternating with the filtered ones in every round; the process's CPU time per query (user + system, `process.cpuUsage`), which does not depend on what else ran on the machine's two cores, and the ratio to the unfiltered queries' in both; p50/p99 over every query of the cell. `plans`: how many queries the planner (`roles/filtered-search.ts`) answered by an exact scan of the admitted rows and how many by a widened graph search.";

export function filtersSection(title: string, file: FiltersFile): string {
  const base = median(file.unfiltered.qps);
  const baseCpu = median(file.unfiltered.cpuUs);
  const lines = [
    `### ${title}`,
    '',
    `${file.queries} query ids x ${file.rounds} rounds, run ${runLabel(file.machine, file.quick === true)}; command: \`${file.command}\`.`,
    '',
    '| profiles matching | filter | recall@10 | queries/s (median, spread) | CPU-µs per query (median, spread) | vs unfiltered (queries/s, CPU) | p50 / p99 ms | plans (exact / graph) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    `| 100% (no filter) | | | ${base.toFixed(0)} (${spread(file.unfiltered.qps)}) | ${baseCpu.toFixed(0)} (${spread(file.unfiltered.cpuUs)}) | 1.00x, 1.00x | ${(file.unfiltered.p50Us / 1000).toFixed(2)} / ${(file.unfiltered.p99Us / 1000).toFixed(2)} | |`,
  ];
  for (const row of file.rows) {
    const qps = median(row.qps);
    const cpu = median(row.cpuUs);
    lines.push(
      `| ${(row.selectivity * 100).toFixed(2)}% | \`${JSON.stringify(row.filter)}\` | ${row.recall.toFixed(3)} | ${qps.toFixed(0)} (${spread(row.qps)}) | ${cpu.toFixed(0)} (${spread(row.cpuUs)}) | ${(qps / base).toFixed(2)}x, ${(baseCpu / cpu).toFixed(2)}x | ${(row.p50Us / 1000).toFixed(2)} / ${(row.p99Us / 1000).toFixed(2)} | ${row.plans.exact} / ${row.plans.graph} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
