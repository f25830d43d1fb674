// Timings both sides of the channel must agree on: one table, read by the supervisor and the child.
import { availableParallelism } from 'node:os';

export const CHANNEL_DEFAULTS = {
  /** Each side says something at least this often. */
  heartbeatMs: 500,
  /** The supervisor declares a child hung after this much silence (a fetching child is exempt). */
  heartbeatTimeoutMs: 2000,
  /** A child leaves after this much silence from the supervisor: never shorter than 4 missed beats. */
  orphanMs: 5000,
  /** A ZeroMQ send that cannot complete by then fails instead of blocking its socket's one writer. */
  sendTimeoutMs: 1000,
  /** A child reads the store's new changes this often when no query made it (the spare gets none). */
  liveChangesPollMs: 100,
} as const;

/** How long a child waits for a word from its supervisor before it treats itself as orphaned. */
export function orphanMsFor(heartbeatTimeoutMs: number): number {
  return Math.max(CHANNEL_DEFAULTS.orphanMs, 4 * heartbeatTimeoutMs);
}

/**
 * Threads one child's batch search may use: the cores this process may run on, less one for the
 * main process (HTTP and the hop cost it about as much CPU per query as a 10k search), shared by
 * the children that answer. A batch of one query uses one thread whatever this says.
 */
export function searchThreadsFor(answeringChildren: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor((cores - 1) / Math.max(1, answeringChildren)));
}
