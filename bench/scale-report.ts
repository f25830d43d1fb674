// BENCHMARKS.md's section on cost as work grows, from bench/results/scale.json, with its plot.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { median, RESULTS, runLabel } from './common.js';
import type { QueryCost, ScaleFile } from './scale.js';

export const SCALE_INTRO =
  "tandem at three sizes of the demo data set, each row measured in one pass (`bench/scale.ts`): started on its own copy of the data set (`make multi`'s processes, view mode), its memory once both children hold the version (RSS and PSS of all its processes summed), then wrk at c=64 (CPU-µs per answered request: all processes, from /proc), then one publish through the builder's commit path timed until tandem serves it and until its spare holds it too. The full build's time is from when the data set was built. Query cost: CPU time per recommend query through the answer child's own batch search (`HeldIndex.nearestMany`, one query per call, in one process), for n = 1, 10 and 100, median over the rounds (spread in brackets), the cells alternating.";

const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
const cost = (q: QueryCost | undefined) => (q ? `${median(q.cpuUs).toFixed(0)} (${spread(q.cpuUs)})` : 'n/a');
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

export function scaleSection(file: ScaleFile, picture: string | null): string {
  const lines = [
    `Run ${runLabel(file.machine, file.quick)}; command: \`BENCH_ONLY=scale make bench\`.`,
    '',
    '| profiles | full build s | publish to served s (to settled) | memory MB, RSS (PSS) | req/s at c=64 | p50 / p99 ms | CPU-µs per request | query CPU-µs, n=1 | n=10 | n=100 |',
    '| --: | --: | --- | --- | --: | --- | --: | --- | --- | --- |',
  ];
  for (const r of file.rows) {
    const byN = (n: number) => r.queries.find((q) => q.n === n);
    lines.push(
      `| ${r.count.toLocaleString('en')} | ${r.buildSec === null ? 'n/a' : r.buildSec.toFixed(0)} | ${r.publishToServedSec.toFixed(1)} (${r.publishToSettledSec.toFixed(1)}) | ${mb(r.rssBytes)} (${mb(r.pssBytes)}) | ${r.http.rps.toFixed(0)} | ${(r.http.p50us / 1000).toFixed(2)} / ${(r.http.p99us / 1000).toFixed(2)} | ${r.http.cpuUsPerRequest.toFixed(0)} | ${cost(byN(1))} | ${cost(byN(10))} | ${cost(byN(100))} |`,
    );
  }
  lines.push(
    '',
    "Width: the same query (n = 10) over 10,000 uniform random vectors, each index at the search expansion the builder's calibration chose for it (recall@10 0.99, or the largest tried).",
    '',
    '| dims | search expansion | query CPU-µs | p50 / p99 µs |',
    '| --: | --: | --- | --- |',
  );
  for (const w of file.widths) {
    const q = w.queries[0]!;
    lines.push(`| ${w.dims} | ${w.expansionSearch ?? 'n/a'} | ${cost(q)} | ${q.p50Us.toFixed(0)} / ${q.p99Us.toFixed(0)} |`);
  }
  if (picture) lines.push('', `![CPU per query and per request against profiles held](${picture})`);
  lines.push('');
  return lines.join('\n');
}

export async function drawScale(file: ScaleFile): Promise<string | null> {
  if (file.rows.length < 2) return null;
  const values = file.rows.flatMap((r) => [
    ...r.queries.map((q) => ({ profiles: r.count, us: median(q.cpuUs), what: `query, n=${q.n}` })),
    { profiles: r.count, us: r.http.cpuUsPerRequest, what: 'HTTP request at c=64, n=10 (all processes)' },
  ]);
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'CPU per query and per request as profiles grow',
      subtitle: 'log-log; a straight line of slope 1 would be linear growth',
    },
    width: 560,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'profiles', type: 'quantitative', scale: { type: 'log' }, title: 'profiles held' },
      y: { field: 'us', type: 'quantitative', scale: { type: 'log' }, title: 'CPU-µs' },
      color: { field: 'what', type: 'nominal', title: null },
    },
  };
  const compiled = vegaLite.compile(spec as unknown as vegaLite.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  writeFileSync(path.join(RESULTS, 'scale.svg'), svg);
  return 'bench/results/scale.svg';
}
