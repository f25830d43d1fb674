// Each supervisor keeps its ipc endpoints and verified-hash records in a private directory under
// the system's temporary directory. A supervisor that was SIGKILLed never removed its own, so each
// new one sweeps those whose owner is gone, and only those: a directory is ours when it holds the
// owner file, and stale when the process it names is dead.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'tandem-';
const OWNER_FILE = 'supervisor.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates this supervisor's runtime directory (0700, mkdtemp), marked with its pid. */
export async function createRuntimeDir(root: string = os.tmpdir()): Promise<string> {
  const dir = await mkdtemp(path.join(root, PREFIX));
  await writeFile(path.join(dir, OWNER_FILE), `${process.pid}\n`);
  return dir;
}

/** Removes runtime directories of supervisors that are no longer running; returns them. */
export async function removeStaleRuntimeDirs(root: string = os.tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(root, name);
    let owner: number;
    try {
      owner = Number((await readFile(path.join(dir, OWNER_FILE), 'utf8')).trim());
    } catch {
      continue; // not a supervisor's (or not readable): not ours to judge
    }
    if (!Number.isSafeInteger(owner) || owner <= 0 || owner === process.pid || alive(owner)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
