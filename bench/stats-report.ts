// BENCHMARKS.md's section on `tandem stats`, from bench/results/stats.json.
import { runLabel } from './common.js';
import type { StatsFile } from './stats.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export const STATS_INTRO =
  '`tandem stats` (`trace/stats-cli.ts`) over a synthetic trace (`trace/synthetic-trace.ts`, seed 42: per-second `queries` records, fetches and swaps as transitions, gaps, records out of order) with a 10-minute window: streaming (a ring of 2 x window per-minute sums, `trace/moving-average.ts`) against `--naive` (every value held, each window summed afresh from them), each in a process of its own, the two alternating. Time is wall time of the whole process (Node start included); peak RSS is its own `maxRSS`. Ratios are naive / streaming.';

export function statsSection(file: StatsFile): string {
  const lines = [
    `Run ${runLabel(file.machine, file.quick)}, ${file.rounds} round${file.rounds === 1 ? '' : 's'} (medians); command: \`${file.command}\`.`,
    '',
    '| lines | minutes out | streaming ms | naive ms | time naive / streaming | streaming peak RSS MiB | naive peak RSS MiB | RSS naive / streaming | same output |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of file.rows) {
    const streamMs = median(row.streaming.map((r) => r.ms));
    const naiveMs = median(row.naive.map((r) => r.ms));
    const streamRss = median(row.streaming.map((r) => r.maxRssKiB)) / 1024;
    const naiveRss = median(row.naive.map((r) => r.maxRssKiB)) / 1024;
    lines.push(
      `| ${row.lines.toLocaleString('en')} | ${row.minutes.toLocaleString('en')} | ${streamMs.toFixed(0)} | ${naiveMs.toFixed(0)} | ${(naiveMs / streamMs).toFixed(2)}x | ${streamRss.toFixed(0)} | ${naiveRss.toFixed(0)} | ${(naiveRss / streamRss).toFixed(2)}x | ${row.sameOutput ? 'yes' : '**no**'} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
