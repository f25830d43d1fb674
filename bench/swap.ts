// Swap under load: continuous load (bench/loadgen, its own process) at c=16 and c=64 while new index
// versions are published, each once the last has settled and a quiet stretch has passed; tandem in
// view and load mode, and as the reference the single-process server under PM2 cluster mode (2
// instances, `pm2 reload` after each publish).
// Writes bench/results/swap-<dataset>.json (summary rows and a latency time series for the plot).

import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CACHE,
  DIST,
  ensureDir,
  freePort,
  log,
  machine,
  QUICK,
  RESULTS,
  ROOT,
  run,
  spawnTracked,
  stopTracked,
  tandemCommand,
  tandemStatus,
  waitFor200,
  waitForStandby,
  writeJson,
} from './common.js';
import { type Dataset, type DatasetName, freshDataDir, prepareDataset, publishAsBuilder } from './datasets.js';
import { childrenOf, machineUsedBytes, procMemory } from './procfs.js';
import { analyseSwapRun, type MemSample, type SwapRow, type SwapTarget, type Window } from './swap-analysis.js';
import type { Span } from './swap-phases.js';

const PM2 = path.join(ROOT, 'node_modules', '.bin', 'pm2');
const PM2_HOME = path.join(CACHE, 'pm2-home');
const PM2_APP = 'tandem-bench-ref';

function pm2(args: string[]): Promise<string> {
  return run(PM2, args, { env: { ...process.env, PM2_HOME } });
}

/** PM2's workers are the children of its daemon (their command line names PM2's container, not our script). */
function pm2Workers(): number[] {
  const daemon = Number(readFileSync(path.join(PM2_HOME, 'pm2.pid'), 'utf8').trim());
  return childrenOf(daemon);
}

const LARGE = 500_000;

function swapsWanted(dataset: Dataset): number {
  return Number(process.env.BENCH_SWAPS ?? (QUICK ? 3 : dataset.manifest.count >= LARGE ? 6 : 15));
}

/** Seconds of quiet load (no publish, no fetch) before the first publish and after each swap has settled. */
function cadenceFor(dataset: Dataset): number {
  if (process.env.BENCH_CADENCE) return Number(process.env.BENCH_CADENCE);
  return dataset.manifest.count >= LARGE ? 10 : QUICK ? 1 : 3;
}

/** How long one publish may take to be served by both children before the run goes on without it. */
const SETTLE_TIMEOUT_MS = 10 * 60_000;

/** A variant of a run: extra flags for tandem's main process, and a label that keeps its files apart. */
export interface SwapVariant {
  label: string;
  tandemArgs: string[];
  swaps?: number;
}

async function startTarget(
  target: SwapTarget,
  dataDir: string,
  port: number,
  runsDir: string,
  variant?: SwapVariant,
): Promise<ChildProcess | null> {
  if (target === 'pm2') {
    await pm2(['kill']).catch(() => '');
    await pm2([
      'start',
      path.join(DIST, 'bench', 'servers', 'single.js'),
      '--name',
      PM2_APP,
      '-i',
      '2',
      '--wait-ready',
      '--listen-timeout',
      '30000',
      '--kill-timeout',
      '5000',
      '--',
      '--data',
      dataDir,
      '--port',
      String(port),
      '--kind',
      'held',
      '--mode',
      'view',
    ]);
    return null;
  }
  const mode = target === 'tandem-view' ? 'view' : 'load';
  return spawnTracked(process.execPath, tandemCommand(dataDir, port, mode, runsDir, variant?.tandemArgs));
}

export async function swapRun(dataset: Dataset, target: SwapTarget, connections: number, variant?: SwapVariant): Promise<SwapRow> {
  const cadence = cadenceFor(dataset);
  const swaps = variant?.swaps ?? swapsWanted(dataset);
  const work = ensureDir(path.join(CACHE, dataset.name, 'swap'));
  const dataDir = await freshDataDir(dataset, path.join(work, 'data'));
  const tag = `${target}-${connections}${variant ? `-${variant.label}` : ''}`;
  const runsDir = path.join(work, `runs-${tag}`);
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const main = await startTarget(target, dataDir, port, runsDir, variant);
  const out = path.join(work, `records-${tag}.bin`);
  const loadgenArgs = [
    path.join(DIST, 'bench', 'loadgen.js'),
    '--port',
    String(port),
    '--ids',
    dataset.idsFile,
    '--connections',
    String(connections),
  ];
  const mem: MemSample[] = [];
  const pm2Windows: Window[] = [];
  const publishes: Span[] = [];
  let published = 0;
  let finalStatus: { swaps?: number } = {};
  try {
    await waitFor200(`${url}/ready`, 15 * 60_000);
    await run(process.execPath, [...loadgenArgs, '--seconds', String(QUICK ? 1 : 3)]); // warm-up, not recorded
    const pidsOfTarget = async (): Promise<number[]> => {
      if (target === 'pm2') return pm2Workers();
      const status = (await (await fetch(`${url}/status`)).json()) as { slots: { pid: number | null }[] };
      return status.slots.map((s) => s.pid).filter((p): p is number => p !== null);
    };
    let pids = await pidsOfTarget();
    let sampling = true;
    const sampler = (async () => {
      let tick = 0;
      while (sampling) {
        if (tick++ % 4 === 0) pids = await pidsOfTarget().catch(() => pids);
        const readings = pids.map(procMemory).filter((m) => m !== null);
        mem.push({
          t: Date.now(),
          rss: readings.reduce((s, m) => s + m.rss, 0),
          pss: readings.reduce((s, m) => s + m.pss, 0),
          machine: machineUsedBytes(),
          pids: readings.length,
        });
        await sleep(250);
      }
    })();
    log(
      `swap ${dataset.name} ${target} c=${connections}: ${swaps} publishes, each once the last has settled and ${cadence} s of quiet load passed`,
    );
    // The load runs until every swap has settled plus one quiet stretch; its own limit only bounds a run that hangs.
    const loadChild = spawnTracked(
      process.execPath,
      [...loadgenArgs, '--seconds', String(swaps * (SETTLE_TIMEOUT_MS / 1000 + cadence)), '--out', out],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let loadOut = '';
    loadChild.stdout?.setEncoding('utf8').on('data', (c: string) => (loadOut += c));
    const load = new Promise<string>((resolve) => loadChild.once('exit', () => resolve(loadOut)));
    // Phases never overlap and quiet load lies between them: each publish waits for the last swap,
    // its standby fetch (or PM2's reload) and a quiet stretch.
    await sleep(cadence * 1000);
    for (let i = 1; i <= swaps; i++) {
      const servedBefore = target === 'pm2' ? null : (await tandemStatus(url)).servingVersion;
      const publish = { start: Date.now(), end: 0 };
      await publishAsBuilder(dataset.versionDir, dataDir);
      publish.end = Date.now();
      publishes.push(publish);
      published++;
      if (target === 'pm2') {
        const w = { start: Date.now(), end: 0 };
        await pm2(['reload', PM2_APP]);
        w.end = Date.now();
        pm2Windows.push(w);
      } else {
        await waitForStandby(url, SETTLE_TIMEOUT_MS, servedBefore).catch((err: Error) =>
          log(`swap ${dataset.name} ${target}: ${err.message}`),
        );
      }
      await sleep(cadence * 1000);
    }
    loadChild.kill('SIGTERM');
    const summary = await load;
    sampling = false;
    await sampler;
    if (target !== 'pm2') finalStatus = (await (await fetch(`${url}/status`)).json()) as { swaps?: number };
    log(`swap ${dataset.name} ${target} c=${connections}: ${summary.trim()}`);
  } finally {
    if (target === 'pm2') {
      await pm2(['delete', PM2_APP]).catch(() => '');
      await pm2(['kill']).catch(() => '');
    }
    if (main) await stopTracked(main);
  }

  const traceFile = path.join(runsDir, 'latest', 'trace.jsonl');
  const command =
    `node dist/bench/loadgen.js --port PORT --ids <ids.txt> --connections ${connections}` +
    (target === 'pm2'
      ? ` while: republish + pm2 reload ${PM2_APP}, then ${cadence} s quiet, ${swaps} times`
      : ` while: republish, wait for the swap and the standby fetch, then ${cadence} s quiet, ${swaps} times (tandem --mode ${target === 'tandem-view' ? 'view' : 'load'})`);
  return analyseSwapRun({
    dataset,
    target,
    connections,
    cadence,
    published,
    command,
    out,
    traceFile,
    mem,
    publishes,
    pm2Windows,
    finalStatus,
  });
}

export function swapDatasets(): DatasetName[] {
  const raw = process.env.BENCH_SWAP_DATASETS;
  if (raw) return raw.split(',') as DatasetName[];
  return QUICK ? ['demo-10k'] : ['demo-10k', 'demo-1m'];
}

export async function benchSwap(name: DatasetName): Promise<SwapRow[]> {
  const dataset = await prepareDataset(name);
  const targets = (process.env.BENCH_SWAP_TARGETS ?? 'tandem-view,tandem-load,pm2').split(',') as SwapTarget[];
  // A quick pass checks the pipeline: one connection count is enough for that.
  const conns = (process.env.BENCH_SWAP_CONNECTIONS ?? (QUICK ? '64' : '16,64')).split(',').map(Number);
  const rows: SwapRow[] = [];
  for (const c of conns) for (const target of targets) rows.push(await swapRun(dataset, target, c));
  writeJson(path.join(RESULTS, `swap-${name}.json`), {
    machine: machine(),
    dataset: name,
    count: dataset.manifest.count,
    quick: QUICK,
    swapsPerConfig: swapsWanted(dataset),
    rows,
  });
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  for (const name of process.argv.length > 2 ? (process.argv.slice(2) as DatasetName[]) : swapDatasets()) await benchSwap(name);
}
