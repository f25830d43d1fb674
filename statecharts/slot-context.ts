// What a slot machine knows and hears: its timeouts, its context and its events. Kept apart from
// the machine (slot.ts) so the machine file reads as the life of a child, nothing else.

import type { FetchErrorCode } from '../channel/errors.js';

export interface SlotTimeouts {
  /** From spawn() to the OS reporting a pid. */
  spawnMs: number;
  /** From a pid to the child's HELLO. */
  helloMs: number;
  /** From sending a command to its ACK. */
  ackMs: number;
  /** From FETCH's ACK to FETCHED/FETCH_FAILED: a load is one long native call. */
  fetchMs: number;
  /** From DRAIN's ACK to DRAINED. */
  drainMs: number;
  /** From SIGKILL to the exit being reported. */
  killMs: number;
  /** From SHUTDOWN to exit before we kill. */
  shutdownMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Restart intensity (as in OTP): more than maxRestarts crashes within restartWindowMs... */
  maxRestarts: number;
  restartWindowMs: number;
  /** ...and the slot stops restarting at the backoff pace and retries this slowly instead. */
  limitedRetryMs: number;
}

export const DEFAULT_SLOT_TIMEOUTS: SlotTimeouts = {
  spawnMs: 5_000,
  helloMs: 10_000,
  ackMs: 2_000,
  fetchMs: 120_000,
  drainMs: 10_000,
  killMs: 3_000,
  shutdownMs: 3_000,
  backoffBaseMs: 200,
  backoffMaxMs: 10_000,
  maxRestarts: 5,
  restartWindowMs: 60_000,
  limitedRetryMs: 30_000,
};

export interface SlotInput {
  slot: number;
  timeouts: SlotTimeouts;
  /** The clock the restart-intensity window is measured on (the actor system's, in tests). */
  now: () => number;
}

export interface SlotContext {
  slot: number;
  timeouts: SlotTimeouts;
  /** Sequence number of the newest command sent; an ACK for any other number is stale. */
  seq: number;
  pid: number | null;
  /** The index version this child holds, as far as the supervisor has been told. */
  version: string | null;
  /** The version a FETCH in progress asked for. */
  pendingVersion: string | null;
  pendingPath: string | null;
  /** Consecutive failures since the child last reached idle; drives the backoff. */
  failures: number;
  lastFailure: string | null;
  /**
   * When this slot crashed, within the restart-intensity window: only crashes of a child that had
   * not loaded a version since it was spawned count (a crash loop), never a child that came up
   * healthy and was killed from outside while serving or standing by.
   */
  crashTimes: number[];
  /** The child has loaded a version since it was spawned. */
  loadedSinceSpawn: boolean;
  now: () => number;
}

export type SlotEvent =
  // from the process and its channel
  | { type: 'SPAWNED'; pid: number }
  | { type: 'HELLO'; pid: number }
  | { type: 'ACK'; seq: number }
  | { type: 'FETCHED'; seq: number; version: string; count: number; dims: number; loadMs: number }
  | { type: 'FETCH_FAILED'; seq: number; version: string; error: string; code: FetchErrorCode }
  | { type: 'DRAINED'; seq: number }
  | { type: 'EXITED'; code: number | null; signal: string | null }
  | { type: 'HEARTBEAT_LOST'; silentMs: number }
  // from the supervisor machine
  | { type: 'CMD_FETCH'; version: string; path: string }
  | { type: 'CMD_ANSWER' }
  | { type: 'CMD_DRAIN' }
  | { type: 'CMD_SHUTDOWN' };

export type CommandToSend =
  | { type: 'FETCH'; seq: number; version: string; path: string }
  | { type: 'ANSWER'; seq: number; version: string }
  | { type: 'DRAIN'; seq: number }
  | { type: 'SHUTDOWN'; seq: number };

export type SeqEvent = Extract<SlotEvent, { seq: number }>;
