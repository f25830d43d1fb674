import { readFileSync } from 'node:fs';

/** A process's niceness: field 19 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so count from its ')'. */
export function nicenessOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** The niceness of process `pid`'s session under autogroup scheduling (`/proc/<pid>/autogroup`), or null once it is gone. */
export function autogroupNicenessOf(pid: number): number | null {
  try {
    return Number(/nice (-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, 'utf8'))![1]);
  } catch {
    return null;
  }
}
