// The main process as its own OS process (`node dist/service/main.js`), for tests about
// signals and orphans. The test that starts it kills it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Test } from 'tap';
import { buildIndex } from '../../builder/build.js';
import { writeProfilesJsonl } from '../../builder/generate.js';
import { PROGRAMS } from './paths.js';
import { waitFor } from './wait.js';

export interface MainProcess {
  child: ChildProcess;
  url: string;
  ids: string[];
  output: () => string;
  /** Where the run's trace.jsonl lands (one subdirectory per start). */
  runsDir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `ownGroup`: the main process leads a process group of its own, so a test can signal the group. */
export async function startMainProcess(t: Test, count = 100, ownGroup = false): Promise<MainProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-main-'));
  const dataDir = path.join(dir, 'data');
  const source = path.join(dataDir, 'profiles.jsonl');
  await writeProfilesJsonl(source, count, 3);
  await buildIndex({ source, dataDir, logger: pino({ level: 'silent' }), threads: 1 });
  const ids = readFileSync(source, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { _id: string })._id);
  const child = spawn(process.execPath, [PROGRAMS.service, '--data', dataDir, '--port', '0', '--runs', path.join(dir, 'run')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const url = await waitFor('main process listening', () => /"url":"(http:\/\/[^"]+)"[^\n]*tandem listening/.exec(output)?.[1], 20_000);
  await waitFor('serving', async () => {
    const response = await fetch(`${url}/ready`).catch(() => null);
    return response?.status === 200;
  });
  return { child, url, ids, output: () => output, exited, runsDir: path.join(dir, 'run') };
}

/** Running, as opposed to gone or a zombie (an exited orphan that init has not reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}
