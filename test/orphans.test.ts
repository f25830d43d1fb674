// Nothing of ours outlives `make multi`: a SIGKILL of the launcher's whole process group (the
// harshest stop an operator or a CI runner gives) leaves no service, child or builder running
// (the builder runs in a session of its own, so the group signal never reaches it); and the
// runtime folder the killed supervisor could not remove is swept by the next one.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { generateProfiles } from '../builder/generate.js';
import type { Profile } from '../profiles/schema.js';
import { ProfileStore } from '../store/profile-store.js';
import { REPO_ROOT } from './helpers/paths.js';
import { isAlive, spawnProcess } from './helpers/spawn.js';
import { waitFor } from './helpers/wait.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Pids of the running processes whose command line names `marker` (our data folder). */
function processesNaming(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker) && isAlive(Number(name))) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function ready(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2000) })).status === 200;
  } catch {
    return false;
  }
}

t.test('SIGKILL of the launcher group leaves no process of ours; the next supervisor sweeps the dead one’s runtime folder', async (t) => {
  // Short paths: an ipc endpoint's path must fit in a socket address (about 107 bytes).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orphans-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp);
  const storePath = path.join(dir, 'profiles.db');
  const store = ProfileStore.open(storePath);
  store.putMany([...generateProfiles({ count: 300, seed: 3 })] as unknown as Profile[]);
  store.close();
  const launch = async () => {
    const port = await freePort();
    const launcher = await spawnProcess(t, 'bash', [path.join(REPO_ROOT, 'scripts', 'multi.sh')], {
      detached: true,
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: String(port), DATA: dir, STORE: storePath, RUNS: path.join(dir, 'run'), TMPDIR: tmp },
    });
    await waitFor('the service to be ready', () => ready(port), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; the launcher said:\n${launcher.output().slice(-3000)}`);
    });
    return { port, launcher };
  };

  const { port, launcher } = await launch();
  const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { slots: { pid: number | null }[] };
  const children = status.slots.map((s) => s.pid).filter((pid): pid is number => pid !== null);
  const named = processesNaming(dir);
  const builder = named.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('builder/main.js'));
  t.equal(builder.length, 1, 'the builder runs, watching the store');
  t.equal(children.length, 2, 'and both children');
  const ours = [...new Set([...named, ...children])];
  t.teardown(() => {
    for (const pid of ours) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone: what the test wants
      }
    }
  });
  const runtimeDirs = readdirSync(tmp).filter((name) => name.startsWith('tandem-'));
  t.equal(runtimeDirs.length, 1, 'the supervisor has its runtime folder');

  process.kill(-launcher.pid, 'SIGKILL');
  await waitFor('every process of ours to be gone', () => ours.every((pid) => !isAlive(pid)) && processesNaming(dir).length === 0, 15_000);
  t.pass(`${ours.length} processes (service, builder, children) all gone`);
  t.ok(existsSync(path.join(tmp, runtimeDirs[0]!)), 'the killed supervisor could not remove its runtime folder');

  const again = await launch();
  t.notOk(existsSync(path.join(tmp, runtimeDirs[0]!)), 'the next supervisor removed it at start');
  t.equal(readdirSync(tmp).filter((name) => name.startsWith('tandem-')).length, 1, 'and keeps only its own');
  const secondRun = [...new Set([...processesNaming(dir)])];
  ours.push(...secondRun);
  process.kill(-again.launcher.pid, 'SIGTERM');
  await waitFor('the second run to stop', () => secondRun.every((pid) => !isAlive(pid)), 20_000);
});
