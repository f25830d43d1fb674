// BENCHMARKS.md's section on swaps under load, from bench/results/swap-<dataset>.json, with its plot.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { type Machine, RESULTS, runLabel } from './common.js';
import { DATASET_TITLES, f, mb } from './report-format.js';
import type { SwapRow } from './swap-analysis.js';

export interface SwapFile {
  machine: Machine;
  dataset: string;
  count: number;
  quick: boolean;
  rows: SwapRow[];
}

export const SWAP_INTRO =
  "Load from `bench/loadgen.ts` (its own process; a closed loop of keep-alive connections that records every request: send time, latency, status). New versions are published, each once the previous swap and its standby fetch (or PM2's reload) have settled and a quiet stretch has passed (3 s; 10 s at 1M; the first publish after one such stretch), by copying the cached version through the builder's own commit path (`commitStaging`: checksums, manifest, fsync, rename, `LATEST`, retention), in a process in a session of its own at the builder's niceness from its start, as `make multi` runs the builder (`bench/republish.ts`; before commit a24a1e9 it ran inside the benchmark's session, where its niceness did not count against the service). tandem swaps by itself; for the PM2 reference (the single-process server, `pm2 start -i 2 --wait-ready`, private `PM2_HOME`), each publish is followed by `pm2 reload`. A request fails on a non-200 status, a connection error or close before the answer, or no answer 10 s after the load stops. Swap windows (tandem): every stretch in which the supervisor is out of `serving`, from the run's `trace.jsonl`: the swap itself (fetch, promote, drain) and, 3 s later, the old answerer's standby fetch of the same version; (PM2): the `pm2 reload` command's duration.";

const TARGET_TITLES: Record<string, string> = {
  'tandem-view': 'tandem, view()',
  'tandem-load': 'tandem, load()',
  pm2: 'PM2 cluster (2), pm2 reload',
};

export function swapSection(file: SwapFile, picture: string | null): string {
  const out: string[] = [];
  out.push(`### ${DATASET_TITLES[file.dataset] ?? file.dataset}${file.quick ? ' (quick mode)' : ''}`);
  out.push('');
  out.push(`Run ${runLabel(file.machine, file.quick)}. Commands: ${[...new Set(file.rows.map((r) => `\`${r.command}\``))].join('; ')}.`);
  out.push('');
  out.push(
    '| c | server | swaps | requests | failed | req/s | p99 ms | p99 in swaps | p99 outside | in / out | swap window p50 ms | RSS (PSS) MB outside | RSS (PSS) MB in swaps | machine used MB, max in swaps |',
  );
  out.push('| --: | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |');
  for (const r of file.rows) {
    const failed =
      r.failed === 0
        ? '0'
        : `${r.failed} (${((100 * r.failed) / r.requests).toFixed(2)}%: ${r.failedConnection} conn., ${
            Object.entries(r.failedStatus)
              .map(([k, v]) => `${v} x ${k === '1' ? 'no answer in 10 s' : k}`)
              .join(', ') || '0 status'
          })`;
    out.push(
      `| ${r.connections} | ${TARGET_TITLES[r.target] ?? r.target} | ${r.swaps} | ${r.requests} | ${failed} | ${r.rps.toFixed(0)} | ${f(r.p99Ms)} | ${f(r.p99InsideMs)} | ${f(r.p99OutsideMs)} | ${f(r.p99Ratio)}x | ${f(r.windowMsMedian, 0)} | ${mb(r.servingRss.outsideMax)} (${mb(r.servingRss.pssOutsideMax)}) | ${mb(r.servingRss.insideMax)} (${mb(r.servingRss.pssInsideMax)}) | ${mb(r.machineUsed.insideMax)} |`,
    );
  }
  out.push('');
  const phased = file.rows.filter((r) => r.phases);
  if (phased.length > 0) {
    out.push(
      "Phases against a quiet baseline (no publish, no fetch): a request counts in the phase it overlaps. Publish to swap: from the builder starting to publish (copy, hash, fsync) to the supervisor back in `serving` after the swap (for PM2, the reload's end); standby fetch: the old answerer fetching the new version. Target: p99 in each phase <= 1.3x quiet.",
      '',
      '| c | server | quiet: requests, p99 ms | publish to swap: requests, p99 ms, x quiet, length p50 s | standby fetch: requests, p99 ms, x quiet, length p50 s |',
      '| --: | --- | --- | --- | --- |',
    );
    const phase = (p: SwapRow['phases']['publishToSwap']) =>
      p.requests === 0 ? 'none' : `${p.requests}, ${f(p.p99Ms)}, **${f(p.ratio)}x**, ${f(p.lengthMsMedian / 1000, 1)}`;
    for (const r of phased) {
      out.push(
        `| ${r.connections} | ${TARGET_TITLES[r.target] ?? r.target} | ${r.phases.quiet.requests}, ${f(r.phases.quiet.p99Ms)} | ${phase(r.phases.publishToSwap)} | ${phase(r.phases.standbyFetch)} |`,
      );
    }
    out.push('');
  }
  out.push(
    `Index file (index.usearch) of this data set: ${mb(file.rows[0]?.indexBytes ?? 0)} MB. RSS/PSS = the two children (tandem) or the two PM2 workers, summed, sampled every 250 ms; the columns show the maximum sample (outside windows that includes the seconds after a swap when tandem's spare still holds the previous version; \`bash bench/steady-memory.sh\` measures the steady state). Machine used = total - free - buffers/cache, so a mapped index in the page cache is not in it.`,
  );
  if (picture) out.push('', `![p99 latency over time, swap windows shaded](${picture})`);
  out.push('');
  return out.join('\n');
}

export async function drawSwap(file: SwapFile): Promise<string | null> {
  if (file.rows.length === 0) return null;
  const charts = file.rows.map((r) => ({
    title: `${TARGET_TITLES[r.target] ?? r.target}, c=${r.connections}: ${r.swaps} swaps, ${r.failed} failed`,
    width: 760,
    height: 120,
    layer: [
      {
        data: { values: r.phaseSpans ?? r.windows.map((w) => ({ ...w, kind: 'publishToSwap' })) },
        mark: { type: 'rect', opacity: 0.35 },
        encoding: {
          x: { field: 'start', type: 'quantitative' },
          x2: { field: 'end' },
          color: {
            field: 'kind',
            type: 'nominal',
            title: null,
            scale: { domain: ['publishToSwap', 'standbyFetch'], range: ['#f4a261', '#8ecae6'] },
          },
        },
      },
      {
        data: { values: r.series.filter((s) => s.p50 > 0).map((s) => ({ t: s.t, p99: s.p99, p50: s.p50 })) },
        transform: [{ fold: ['p99', 'p50'], as: ['stat', 'ms'] }],
        mark: { type: 'line', strokeWidth: 1 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds into the run' },
          y: { field: 'ms', type: 'quantitative', title: 'latency ms (250 ms buckets)', scale: { type: 'log' } },
          color: { field: 'stat', type: 'nominal', title: null },
        },
      },
      {
        data: { values: r.series.filter((s) => s.failed > 0).map((s) => ({ t: s.t, failed: s.failed })) },
        mark: { type: 'rule', color: '#d62828', strokeWidth: 2 },
        encoding: { x: { field: 't', type: 'quantitative' } },
      },
    ],
  }));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Latency over time under swaps, ${DATASET_TITLES[file.dataset] ?? file.dataset}`,
      subtitle: 'orange: publish to swap end (PM2: to reload end); blue: standby fetch; red: 250 ms buckets holding failed requests',
    },
    vconcat: charts,
  };
  const compiled = vegaLite.compile(spec as unknown as vegaLite.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const name = `swap-${file.dataset}.svg`;
  writeFileSync(path.join(RESULTS, name), svg);
  return `bench/results/${name}`;
}
