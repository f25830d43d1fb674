// Background work shares the cores that serve queries: a fetch's checksums and the builder (index
// construction, publishing, deleting old versions) run at a lower CPU priority, so they take idle
// CPU rather than the answerer's.
import { setPriority } from 'node:os';

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
  try {
    setPriority(pid, niceness);
    return true;
  } catch {
    return false;
  }
}
