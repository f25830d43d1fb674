// Memory readings from /proc: a process's RSS and PSS (PSS shares a page mapped by two processes
// between them, so it is the honest figure for two children viewing one memory-mapped index).
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

/** Direct children of `ppid` (from /proc/<pid>/stat). */
export function childrenOf(ppid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) pids.push(Number(entry));
    } catch {
      /* exited */
    }
  }
  return pids;
}
