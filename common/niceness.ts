// Background work shares the cores that serve queries: a fetch's checksums and the builder (index
// construction, publishing, deleting old versions) run at a lower CPU priority, so they take idle
// CPU rather than the answerer's.
import { readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** The niceness background work gets unless told otherwise (the answerer runs at 0). */
export const BACKGROUND_NICENESS = 10;

/** A Unix niceness we may set on our own processes without privilege: 0 (unchanged) to 19. */
export function isNiceness(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 19;
}

/**
 * Lowers the priority of this process (pid 0) or of one of ours; that needs no privilege. On Linux
 * a niceness belongs to a thread: threads started later (libuv's pool, a native library's workers)
 * inherit it from the main thread, the few Node starts at boot keep theirs. Failing to lower it
 * changes only how much we disturb the answerer.
 */
export function lowerPriority(niceness: number, pid = 0): boolean {
  if (niceness <= 0) return true;
  // Our own session too, when it is ours alone (a process started with setsid or `detached`).
  if (pid === 0 || pid === process.pid) lowerSessionPriority(niceness);
  try {
    setPriority(pid, niceness);
    return true;
  } catch {
    return false;
  }
}

/*
 * With autogroup scheduling (Linux, kernel.sched_autogroup_enabled, on here), the CPU is first
 * shared between sessions and a thread's niceness only ranks it inside its own session. Each child
 * leads a session of its own (supervisor/slot-process.ts starts it detached), so a niced helper in
 * the fetching child's session took as much CPU from the answerer's session as if it were not
 * niced. A session's weight is set through /proc/self/autogroup; unlike a thread's niceness, it
 * can be set back without privilege, so a child can be background work only while it fetches.
 */
const AUTOGROUP = '/proc/self/autogroup';

/** True when this process leads its session, so the session's autogroup holds only us and ours. */
export function leadsOwnSession(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // After the command name in parentheses: state, ppid, pgrp, session.
    const session = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
    return session === process.pid;
  } catch {
    return false;
  }
}

/** This session's autogroup niceness, or null where there is none (no autogroup, not Linux). */
export function sessionNiceness(): number | null {
  try {
    const match = /nice (-?\d+)/.exec(readFileSync(AUTOGROUP, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Raises this session's autogroup niceness to `niceness` if it is lower; false if not raised. */
export function lowerSessionPriority(niceness: number): boolean {
  const current = sessionNiceness();
  return current !== null && niceness > current && setSessionNiceness(niceness);
}

/** Sets this session's autogroup niceness, only if we lead the session; false if not set. */
function setSessionNiceness(niceness: number): boolean {
  if (!leadsOwnSession()) return false;
  try {
    writeFileSync(AUTOGROUP, String(niceness));
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `work` with this session at `niceness`, then sets it back. Without CAP_SYS_ADMIN the kernel
 * accepts one autogroup change per 100 ms on the whole machine (EAGAIN otherwise; any process's
 * change, the other child's too), so both changes are retried: lowering for up to 250 ms (after
 * that the work runs at normal priority rather than wait), setting back for up to
 * `restoreWithinMs`; a child left at low priority would answer slowly, so that failure is
 * reported to `onRestoreFailed`.
 */
export async function atSessionNiceness<T>(
  niceness: number,
  work: () => Promise<T>,
  onRestoreFailed: (niceness: number) => void,
  restoreWithinMs = 2000,
): Promise<T> {
  const before = sessionNiceness();
  if (before === null || niceness <= before || !leadsOwnSession()) return work();
  const lowered = await setSessionNicenessWithin(niceness, 250);
  try {
    return await work();
  } finally {
    if (lowered && !(await setSessionNicenessWithin(before, restoreWithinMs))) onRestoreFailed(before);
  }
}

async function setSessionNicenessWithin(niceness: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (setSessionNiceness(niceness)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(RATE_LIMIT_MS);
  }
}

// The kernel's limit is HZ/10 jiffies; a little more, so the retry lands after it.
const RATE_LIMIT_MS = 110;
