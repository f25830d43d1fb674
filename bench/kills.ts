// Repeated answer-child kills at scale: tandem serving the cached 1,000,000-profile version under
// load (bench/loadgen, a session of its own, c=16), the answer child SIGKILLed again as soon as
// the restarted spare holds the served version again (kills spaced by the standby fetch time).
// Counts failed requests and times each return of redundancy. Writes bench/results/kills-<dataset>.json.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SupervisorStatus } from '../supervisor/options.js';
import {
  CACHE,
  ensureDir,
  freePort,
  log,
  machine,
  percentileOf,
  QUICK,
  RESULTS,
  ROOT,
  spawnTracked,
  startLoadgen,
  stopTracked,
  tandemCommand,
  waitFor200,
  writeJson,
} from './common.js';
import { type DatasetName, freshDataDir, prepareDataset } from './datasets.js';

const CONNECTIONS = 16;

export interface KillsRow {
  dataset: DatasetName;
  profiles: number;
  kills: number;
  requests: number;
  failed: number;
  redundancyBackMs: { p50: number; max: number };
  command: string;
}

export async function benchKills(name: DatasetName): Promise<KillsRow> {
  const dataset = await prepareDataset(name);
  const kills = Number(process.env.BENCH_KILLS ?? (QUICK ? 3 : 8));
  const work = ensureDir(path.join(CACHE, name, 'kills'));
  const dataDir = await freshDataDir(dataset, path.join(work, 'data'));
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = tandemCommand(dataDir, port, 'view', path.join(work, 'runs'));
  const service = spawnTracked(process.execPath, args);
  const status = async () => (await (await fetch(`${url}/status`)).json()) as SupervisorStatus;
  const redundant = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = await status().catch(() => null);
      if (s?.state === 'serving' && s.slots.every((slot) => slot.version === s.servingVersion && slot.pid !== null)) return s;
      await sleep(20);
    }
    throw new Error(`kills ${name}: redundancy not back within ${timeoutMs} ms`);
  };
  try {
    await waitFor200(`${url}/ready`, 15 * 60_000);
    await redundant(10 * 60_000);
    const loadgen = startLoadgen(port, dataset.idsFile, CONNECTIONS, 3600);
    await sleep(2000);
    const backMs: number[] = [];
    for (let kill = 1; kill <= kills; kill++) {
      const before = await redundant(120_000);
      const victim = before.slots.find((slot) => slot.role === 'answer')!;
      const killedAt = performance.now();
      process.kill(victim.pid!, 'SIGKILL');
      await sleep(50);
      await redundant(120_000);
      backMs.push(performance.now() - killedAt);
      log(`kills ${name}: kill ${kill}/${kills}, redundancy back after ${Math.round(backMs.at(-1)!)} ms`);
    }
    await sleep(1000);
    const summary = await loadgen.stop();
    const row: KillsRow = {
      dataset: name,
      profiles: dataset.manifest.count,
      kills,
      requests: summary.requests,
      failed: summary.failed,
      redundancyBackMs: { p50: Math.round(percentileOf(backMs, 50)), max: Math.round(percentileOf(backMs, 100)) },
      command: `BENCH_ONLY=kills make bench  (service ${args.slice(1).join(' ')})`.replaceAll(`${ROOT}/`, ''),
    };
    log(`kills ${name}: ${row.kills} kills, ${row.failed} of ${row.requests} requests failed`);
    writeJson(path.join(RESULTS, `kills-${name}.json`), { machine: machine(), quick: QUICK, row });
    return row;
  } finally {
    await stopTracked(service);
  }
}
