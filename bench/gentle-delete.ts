// What gentle delete buys (builder/gentle-delete.ts): under steady load on tandem, a full copy of a
// version is staged, then deleted the way retention does it (gently) or at once, alternating
// (gentle/at-once, at-once/gentle, ...), each by a process run as the builder's. The figure is the
// p99 of requests overlapping the delete (and TAIL_MS after it) over the p99 of the quiet seconds before.
// Writes bench/results/gentle-delete-<dataset>.json.
//   node dist/bench/gentle-delete.js [dataset]   (BENCH_DELETE_ROUNDS=8, BENCH_DELETE_CONNECTIONS=64)
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CACHE,
  DIST,
  ensureDir,
  freePort,
  log,
  machine,
  percentileOf,
  QUICK,
  RESULTS,
  spawnTracked,
  stopTracked,
  tandemCommand,
  waitFor200,
  waitForStandby,
  writeJson,
} from './common.js';
import { type DatasetName, freshDataDir, prepareDataset, runAsBuilder } from './datasets.js';
import { readRecords } from './swap-analysis.js';

/** Quiet load between staging a copy and deleting it: the staging's writes are behind us. */
const SETTLE_MS = 8000;
/** The baseline: requests answered in this stretch before the delete's helper starts. */
const QUIET_MS = 5000;
/** Kernel work a delete leaves (freed pages, journal) can land just after it returns. */
const TAIL_MS = 500;

export interface DeleteArm {
  round: number;
  gentle: boolean;
  deleteMs: number;
  requests: number;
  p99Ms: number;
  maxMs: number;
  quietP99Ms: number;
  ratio: number;
}

interface DeleteSpan {
  round: number;
  gentle: boolean;
  start: number;
  end: number;
}

export async function benchGentleDelete(name: DatasetName): Promise<DeleteArm[]> {
  const dataset = await prepareDataset(name);
  const rounds = Number(process.env.BENCH_DELETE_ROUNDS ?? (QUICK ? 1 : 8));
  const connections = Number(process.env.BENCH_DELETE_CONNECTIONS ?? 64);
  const work = ensureDir(path.join(CACHE, dataset.name, 'gentle-delete'));
  const dataDir = await freshDataDir(dataset, path.join(work, 'data'));
  const victim = path.join(work, 'retired-version');
  const out = path.join(work, 'records.bin');
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const main = spawnTracked(process.execPath, tandemCommand(dataDir, port, 'view', path.join(work, 'runs')));
  const spans: DeleteSpan[] = [];
  try {
    await waitFor200(`${url}/ready`, 15 * 60_000);
    await waitForStandby(url, 15 * 60_000);
    log(`gentle delete ${name} c=${connections}: ${rounds} rounds of a staged copy deleted gently and at once`);
    const loadgen = [path.join(DIST, 'bench', 'loadgen.js'), '--port', String(port), '--ids', dataset.idsFile];
    const bound = rounds * 2 * 120;
    const load = spawnTracked(process.execPath, [
      ...loadgen,
      '--connections',
      String(connections),
      '--seconds',
      String(bound),
      '--out',
      out,
    ]);
    const loadEnded = new Promise<void>((resolve) => load.once('exit', () => resolve()));
    for (let round = 1; round <= rounds; round++) {
      // Alternate which arm goes first, so a slow drift of the machine favours neither.
      for (const gentle of round % 2 === 1 ? [true, false] : [false, true]) {
        await runAsBuilder('delete-version.js', ['stage', dataset.versionDir, victim]);
        await sleep(SETTLE_MS);
        const done = JSON.parse(await runAsBuilder('delete-version.js', ['delete', victim, gentle ? 'gentle' : 'at-once'])) as {
          start: number;
          end: number;
          mode: string;
        };
        if (done.mode !== (gentle ? 'gentle' : 'at-once'))
          throw new Error(`gentle delete: asked ${gentle ? 'gentle' : 'at-once'}, did ${done.mode}`);
        spans.push({ round, gentle, start: done.start, end: done.end });
        await sleep(TAIL_MS + 1000);
      }
    }
    load.kill('SIGTERM');
    await loadEnded;
  } finally {
    await stopTracked(main);
  }
  const records = readRecords(out);
  const arms = spans.map((span): DeleteArm => {
    const during: number[] = [];
    const quiet: number[] = [];
    for (let i = 0; i < records.t.length; i++) {
      const sent = records.t[i]!;
      const ms = records.ms[i]!;
      if (records.code[i] !== 200) continue;
      if (sent <= span.end + TAIL_MS && sent + ms >= span.start) during.push(ms);
      // The helper's own start-up (niced, its own session) comes just before `start`: kept out.
      else if (sent >= span.start - 1000 - QUIET_MS && sent + ms < span.start - 1000) quiet.push(ms);
    }
    const p99 = during.length ? percentileOf(during, 99) : NaN;
    const quietP99 = quiet.length ? percentileOf(quiet, 99) : NaN;
    return {
      round: span.round,
      gentle: span.gentle,
      deleteMs: span.end - span.start,
      requests: during.length,
      p99Ms: p99,
      maxMs: during.length ? Math.max(...during) : NaN,
      quietP99Ms: quietP99,
      ratio: p99 / quietP99,
    };
  });
  for (const arm of arms)
    log(
      `gentle delete round ${arm.round} ${arm.gentle ? 'gentle' : 'at once'}: ${arm.deleteMs} ms, p99 ${arm.p99Ms.toFixed(1)} ms = ${arm.ratio.toFixed(2)}x quiet`,
    );
  writeJson(path.join(RESULTS, `gentle-delete-${name}.json`), {
    machine: machine(),
    quick: QUICK,
    dataset: name,
    connections,
    rounds,
    versionBytes: Object.values(dataset.manifest.files).reduce((sum, f) => sum + f.bytes, 0),
    arms,
  });
  return arms;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  await benchGentleDelete((process.argv[2] as DatasetName | undefined) ?? 'demo-1m');
}
