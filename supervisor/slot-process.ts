// Starting and killing one child process. The slot machine decides when; this does it.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

export interface SlotProcessOptions {
  script: string;
  env: Record<string, string>;
  logs: Writable;
  onSpawned: (pid: number) => void;
  onExit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export function spawnSlotProcess(options: SlotProcessOptions): ChildProcess {
  // --expose-gc: the child collects a dropped index at once (roles/child.ts, releaseDroppedIndex).
  // The main process's own Node flags pass on as fork() would pass them (--cpu-prof profiles all
  // three processes), except a debugger's: two processes cannot listen on one inspector port.
  const nodeFlags = process.execArgv.filter((flag) => !flag.startsWith('--inspect'));
  const child = spawn(process.execPath, [...nodeFlags, '--expose-gc', options.script], {
    // stdin stays a pipe we never close: the child reads its end to notice our death.
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    // A process group of its own: a stop signal for ours (Ctrl-C, a group kill) must reach the
    // supervisor, which drains and then sends SHUTDOWN, not the children under its in-flight
    // queries. Orphan safety does not depend on the group: the child watches its stdin pipe.
    detached: true,
  });
  child.stdout!.pipe(options.logs, { end: false });
  child.stderr!.pipe(options.logs, { end: false });
  let exited = false;
  const exit = (code: number | null, signal: NodeJS.Signals | null) => {
    if (exited) return;
    exited = true;
    options.onExit(code, signal);
  };
  child.once('spawn', () => options.onSpawned(child.pid!));
  child.once('error', () => exit(null, null));
  child.once('exit', exit);
  // EPIPE when the child dies is expected and must not crash the supervisor.
  child.stdin!.on('error', () => {});
  return child;
}
