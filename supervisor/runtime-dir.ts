// Each supervisor keeps its ipc endpoints and verified-hash records in a private directory under
// the system's temporary directory. A supervisor that was SIGKILLed never removed its own, so each
// new one sweeps those whose owner is gone, and only those: a directory is ours when it holds the
// owner file, and stale when the process it names is gone: dead, a zombie, or its pid reused.
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'tandem-';
const OWNER_FILE = 'supervisor.pid';

/** A process's state and start time (clock ticks since boot) from /proc/<pid>/stat; null when gone. */
function processStat(pid: number): { state: string; startTime: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, startTime: fields[19]! };
  } catch {
    return null;
  }
}

/** The owner is still running: same pid, same start time (not a reused pid), not a zombie. */
function ownerRunning(owner: { pid: number; startTime: string }): boolean {
  const stat = processStat(owner.pid);
  return stat !== null && stat.state !== 'Z' && stat.startTime === owner.startTime;
}

/** Creates this supervisor's runtime directory (0700, mkdtemp), marked with its pid. */
export async function createRuntimeDir(root: string = os.tmpdir()): Promise<string> {
  const dir = await mkdtemp(path.join(root, PREFIX));
  await writeFile(path.join(dir, OWNER_FILE), `${process.pid} ${processStat(process.pid)?.startTime ?? '?'}\n`);
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
    let owner: { pid: number; startTime: string };
    try {
      const [pid, startTime] = (await readFile(path.join(dir, OWNER_FILE), 'utf8')).trim().split(' ');
      owner = { pid: Number(pid), startTime: startTime ?? '' };
    } catch {
      continue; // not a supervisor's (or not readable): not ours to judge
    }
    if (!Number.isSafeInteger(owner.pid) || owner.pid <= 0 || owner.pid === process.pid || ownerRunning(owner)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
