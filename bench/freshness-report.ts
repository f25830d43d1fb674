// Sections 5 and 6 of BENCHMARKS.md: write -> recommendable and delete -> gone (bench/freshness.ts),
// repeated answer kills at scale (bench/kills.ts).
import { type Machine, runLabel } from './common.js';
import type { FreshnessRow } from './freshness.js';
import type { KillsRow } from './kills.js';

export interface FreshnessFile {
  machine: Machine;
  quick: boolean;
  row: FreshnessRow;
}

export const FRESHNESS_INTRO =
  "The whole system on real processes, each in a session of its own: the service (`--mode view --store`), the builder watching the store (`--watch`, debounce 500 ms, at the latest 10 s after a change, incremental builds on), and `bench/loadgen.ts` recommending random ids at c=16. One write every 100 ms from the benchmark process: a `PUT` of a copy of an existing profile (same features, so the same vector), then polling the twin's `GET /recommend/<twin>/10` until the copy is in it (write -> recommendable, timed from just before the `PUT`); on alternate turns a `DELETE` of an earlier copy, then polling until it is out of the twin's results and its own `/recommend` is `404` (delete -> gone). Every result the writer reads afterwards is checked for every copy deleted so far. A write not visible, or a delete not gone, within 5 s counts as missed.";

export function freshnessSection(title: string, file: FreshnessFile): string {
  const r = file.row;
  const out: string[] = [];
  out.push(`### ${title}${file.quick ? ' (quick mode)' : ''}`, '');
  out.push('| measure | p50 | p99 | max | count |', '|---|---|---|---|---|');
  out.push(`| write -> recommendable | ${r.visibleP50Ms} ms | ${r.visibleP99Ms} ms | ${r.visibleMaxMs} ms | ${r.writes} |`);
  out.push(`| delete -> gone | ${r.goneP50Ms} ms | ${r.goneP99Ms} ms | ${r.goneMaxMs} ms | ${r.deletes} |`);
  out.push(`| \`PUT\` answered | ${r.putP50Ms} ms | ${r.putP99Ms} ms | | ${r.writes} |`);
  out.push('');
  out.push(
    `${r.seconds} s, ${r.profiles.toLocaleString('en')} profiles. Missed: **${r.missed}**. A deleted profile in a later result: **${r.deletedSeenAfter}** of ${r.resultsChecked.toLocaleString('en')} results checked. Meanwhile the builder published ${r.versionsPublished} versions (${r.incrementalBuilds} incremental) and the service swapped ${r.swaps} times; the load generator's ${r.load.requests.toLocaleString('en')} requests had ${r.load.failed} failures.`,
  );
  out.push('', `Command: \`${r.command}\`, run ${runLabel(file.machine, file.quick)}.`, '');
  return out.join('\n');
}

export interface KillsFile {
  machine: Machine;
  quick: boolean;
  row: KillsRow;
}

export const KILLS_INTRO =
  'tandem (`--mode view`) serving the cached version under load from `bench/loadgen.ts` (c=16, its own session); the answer child is `SIGKILL`ed, and killed again as soon as the restarted child holds the served version again, so the kills are spaced by the standby fetch time. A request fails on a non-200 status, a connection error or no answer.';

export function killsSection(title: string, file: KillsFile): string {
  const r = file.row;
  return [
    `### ${title}${file.quick ? ' (quick mode)' : ''}`,
    '',
    `${r.kills} kills; **${r.failed} of ${r.requests.toLocaleString('en')} requests failed**. Redundancy (both children holding the served version) back after each kill: p50 ${(r.redundancyBackMs.p50 / 1000).toFixed(1)} s, max ${(r.redundancyBackMs.max / 1000).toFixed(1)} s.`,
    '',
    `Command: \`${r.command}\`, run ${runLabel(file.machine, file.quick)}.`,
    '',
  ].join('\n');
}
