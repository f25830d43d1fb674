// A child's resident memory and CPU time, read from /proc at scrape time: the supervisor knows
// the pids, and nothing has to run between scrapes.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ChildUsage {
  residentBytes: number;
  cpuSeconds: number;
}

let clockTicks: number | null = null;

/** USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100 on every Linux we know, asked once. */
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Null when the process is gone (it may exit between the status and the read). */
export function childUsage(pid: number): ChildUsage | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (!Number.isFinite(ticks) || !rss) return null;
    return { residentBytes: Number(rss[1]) * 1024, cpuSeconds: ticks / ticksPerSecond() };
  } catch {
    return null;
  }
}
