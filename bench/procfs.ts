// Readings from /proc: a process's RSS and PSS (PSS shares a page mapped by two processes between
// them, so it is the honest figure for two children viewing one memory-mapped index), and the CPU
// time of a process tree.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

function field(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

export interface ProcMemory {
  pid: number;
  rss: number;
  pss: number;
}

export function procMemory(pid: number): ProcMemory | null {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { pid, rss: field(rollup, 'Rss'), pss: field(rollup, 'Pss') };
  } catch {
    return null;
  }
}

/** MemTotal - MemAvailable: what the machine as a whole has in use (other users' processes included). */
export function machineUsedBytes(): number {
  const info = readFileSync('/proc/meminfo', 'utf8');
  return field(info, 'MemTotal') - field(info, 'MemAvailable');
}

/** The fields of /proc/<pid>/stat a benchmark reads; CPU times in clock ticks, all threads summed. */
interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime: the process's own CPU time. */
  ownTicks: number;
  /** cutime + cstime: the CPU time of its children that exited and that it waited for. */
  reapedTicks: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // proc(5): field 4 is ppid, 14-17 utime, stime, cutime, cstime; `fields` starts at field 3.
  const at = (n: number) => Number(fields[n - 3]);
  return { pid, ppid: at(4), ownTicks: at(14) + at(15), reapedTicks: at(16) + at(17) };
}

function everyProcess(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

/** Direct children of `ppid` (from /proc/<pid>/stat). */
export function childrenOf(ppid: number): number[] {
  return everyProcess()
    .filter((s) => s.ppid === ppid)
    .map((s) => s.pid);
}

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
export const CLOCK_TICKS_PER_SEC = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** `root` and every descendant of it now (children in sessions of their own included), one pass over /proc. */
export function processTree(root: number): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  let top: ProcStat | undefined;
  for (const stat of everyProcess()) {
    if (stat.pid === root) top = stat;
    byParent.set(stat.ppid, [...(byParent.get(stat.ppid) ?? []), stat]);
  }
  if (!top) return [];
  const tree = [top];
  for (let i = 0; i < tree.length; i++) tree.push(...(byParent.get(tree[i]!.pid) ?? []));
  return tree;
}

/** CPU microseconds of a process tree between two readings of it. */
export interface TreeCpuUse {
  /** Every process of the tree: the live ones' own time plus what exited during the interval. */
  totalUs: number;
  /** Each process alive at the end: its own time in the interval. */
  byPid: Map<number, number>;
  /** Processes that exited during the interval and were waited for inside the tree. */
  exitedUs: number;
}

/**
 * What the tree used between `before` and `after` (two processTree readings). A process that
 * exits moves its time into its parent's reaped ticks, so the sum of own + reaped over the tree
 * counts it exactly once; only one reaped outside the tree (an orphan re-parented to init) is lost.
 */
export function treeCpuUse(before: ProcStat[], after: ProcStat[]): TreeCpuUse {
  const usPerTick = 1e6 / CLOCK_TICKS_PER_SEC;
  const sum = (tree: ProcStat[]) => tree.reduce((total, s) => total + s.ownTicks + s.reapedTicks, 0);
  const ownBefore = new Map(before.map((s) => [s.pid, s.ownTicks]));
  const byPid = new Map(after.map((s) => [s.pid, (s.ownTicks - (ownBefore.get(s.pid) ?? 0)) * usPerTick]));
  const totalUs = (sum(after) - sum(before)) * usPerTick;
  const liveUs = [...byPid.values()].reduce((a, b) => a + b, 0);
  return { totalUs, byPid, exitedUs: totalUs - liveUs };
}
