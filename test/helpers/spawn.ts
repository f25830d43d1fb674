// Every process a test starts comes from here: its output is kept, its exit is a promise, and the
// test's teardown SIGKILLs it if still alive (its whole group when it leads one), so none outlives its test.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Test } from 'tap';
import { waitFor } from './wait.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** A session and process group of its own (setsid): teardown kills the whole group, not only the leader. */
  detached?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** 'pipe' to write to it, or to hold its stdin open (a tandem child leaves when its stdin closes). Default 'ignore'. */
  stdin?: 'ignore' | 'pipe';
  /** A command that runs the rest as someone else, e.g. `setpriv --reuid=65534 ...`: same pid, so the same teardown. */
  as?: readonly string[];
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved as they arrived. */
  output(): string;
  /** When the process ended (its output may still be in flight). */
  exited: Promise<Exit>;
  /** When it ended and all its output is read. */
  closed: Promise<Exit>;
}

/** Resolves once the process runs; rejects with the reason if it could not be started (e.g. ENOENT). */
export async function spawnProcess(t: Test, command: string, args: readonly string[], options: SpawnOptions = {}): Promise<Spawned> {
  const argv = [...(options.as ?? []), command, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: options.detached ?? false,
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '', both: '' };
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]!.setEncoding('utf8').on('data', (chunk: string) => {
      out[stream] += chunk;
      out.both += chunk;
    });
  }
  const ended = (event: 'exit' | 'close') =>
    new Promise<Exit>((resolve, reject) => {
      child.once(event, (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
      child.once('error', reject);
    });
  const exited = ended('exit');
  const closed = ended('close');
  // A start failure rejects all three; the caller hears it from the first.
  exited.catch(() => undefined);
  closed.catch(() => undefined);
  await once(child, 'spawn');
  const pid = child.pid!;
  t.teardown(async () => {
    if (options.detached) killGroup(pid);
    else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, pid, stdout: () => out.stdout, stderr: () => out.stderr, output: () => out.both, exited, closed };
}

/** `node script ...args`. */
export function spawnNode(t: Test, script: string, args: readonly string[] = [], options: SpawnOptions = {}): Promise<Spawned> {
  return spawnProcess(t, process.execPath, [script, ...args], options);
}

/** Its exit and everything it wrote, within `timeoutMs`: for commands that run to completion. */
export async function finished(spawned: Spawned, timeoutMs = 20_000): Promise<Exit & { stdout: string; stderr: string }> {
  const exit = await waitFor(`${spawned.child.spawnargs.join(' ')} to finish`, spawned.closed, timeoutMs);
  return { ...exit, stdout: spawned.stdout(), stderr: spawned.stderr() };
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

// What is left of a group whose leader this test started: members may outlive the leader.
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
