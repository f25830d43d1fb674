// The main process as its own OS process (`node dist/service/main.js`), for tests about
// signals and orphans. The test that starts it kills it (test/helpers/spawn.ts).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Test } from 'tap';
import { buildIndex } from '../../builder/build.js';
import { writeProfilesJsonl } from '../../builder/generate.js';
import { PROGRAMS } from './paths.js';
import { type Exit, spawnNode } from './spawn.js';
import { waitFor } from './wait.js';

export interface MainProcess {
  child: ChildProcess;
  url: string;
  ids: string[];
  output: () => string;
  /** Where the run's trace.jsonl lands (one subdirectory per start). */
  runsDir: string;
  exited: Promise<Exit>;
}

/** `ownGroup`: the main process leads a process group of its own, so a test can signal the group. */
export async function startMainProcess(t: Test, count = 100, ownGroup = false): Promise<MainProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-main-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const source = path.join(dataDir, 'profiles.jsonl');
  await writeProfilesJsonl(source, count, 3);
  await buildIndex({ source, dataDir, logger: pino({ level: 'silent' }), threads: 1 });
  const ids = readFileSync(source, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { _id: string })._id);
  // Spawned after this teardown is registered, so killed before its directory goes (teardowns run last first).
  const main = await spawnNode(t, PROGRAMS.service, ['--data', dataDir, '--port', '0', '--runs', path.join(dir, 'run')], {
    detached: ownGroup,
  });
  const url = await waitFor(
    'main process listening',
    () => /"url":"(http:\/\/[^"]+)"[^\n]*tandem listening/.exec(main.output())?.[1],
    20_000,
  );
  await waitFor('serving', async () => {
    const response = await fetch(`${url}/ready`).catch(() => null);
    return response?.status === 200;
  });
  return { child: main.child, url, ids, output: main.output, exited: main.exited, runsDir: path.join(dir, 'run') };
}
