// What the supervisor machine knows: its context, its events, and the pure readings of that
// context its guards and actions share (which slot is spare, which version is worth fetching).
import type { SlotToSupervisorEvent } from './events.js';
import type { SlotTimeouts } from './slot.js';

export const SLOT_COUNT = 2;

/**
 * A fetch that failed for a reason outside the version (LOAD_FAILED: memory, file handles, a read
 * error), or a standby fetch of the served version, is retried after a backoff; a version that
 * fails so transientLimit times in a row is then quarantined like one that failed on its merits.
 * The served version never is: the answerer loaded it, and it stays eligible for failover.
 */
export const FETCH_RETRY = { baseMs: 1000, maxMs: 30_000, transientLimit: 3 } as const;

export interface FetchRetry {
  failures: number;
  retryAt: number;
}

export interface SlotView {
  /** Idle or standby: able to take a command now. */
  ready: boolean;
  /** The version the child holds (it may still answer with it). */
  version: string | null;
}

export interface SupervisorInput {
  slotTimeouts: SlotTimeouts;
  /**
   * Keep the spare child loaded with the served version too, so it can take over at once if the
   * answerer dies. Free in view mode (shared page cache); a second copy in load mode.
   */
  standby: boolean;
  /**
   * How long after entering `serving` the standby fetch waits: right after a swap the old
   * answerer would otherwise load the new version at once, a second full fetch inside the swap
   * window competing for the same cores (measured by the swap benchmark).
   */
  standbyDelayMs: number;
  now: () => number;
}

export interface SupervisorContext {
  slotTimeouts: SlotTimeouts;
  standby: boolean;
  standbyDelayMs: number;
  now: () => number;
  servingSince: number;
  /**
   * Whether `serving` was entered by a swap (a drained old answerer): only then does the standby
   * fetch wait out standbyDelayMs. After a failover or the first promotion there is no swap
   * window to keep clear, and redundancy is what matters: the spare loads the version at once.
   */
  afterSwap: boolean;
  /** Where each version seen lives (the newest few), to fetch the served one for standby. */
  paths: Record<string, string>;
  slots: SlotView[];
  /** The slot every new query goes to; null while nobody can answer. */
  answerer: number | null;
  /** The version the answerer serves. */
  servingVersion: string | null;
  /** A slot fetching or being promoted. */
  candidate: number | null;
  /** The previous answerer while it drains. */
  retiring: number | null;
  latestSeen: { version: string; path: string } | null;
  /** Versions whose fetch failed on their merits (bad checksum, missing file): never retried. */
  quarantined: string[];
  /** Versions whose last fetch failed for a passing reason, and when they may be fetched again. */
  retries: Record<string, FetchRetry>;
  /** The spare's standby fetches of the served version that failed in a row, and when to try again. */
  standbyRetry: FetchRetry | null;
  hasServed: boolean;
  stoppedSlots: number;
}

export type SupervisorEvent = SlotToSupervisorEvent | { type: 'VERSION_SEEN'; version: string; path: string } | { type: 'SHUTDOWN' };

export function slotActorId(slot: number): string {
  return `slot-${slot}`;
}

export const isNewer = (version: string | null, than: string | null) => version !== null && (than === null || version > than);

export function withSlot(slots: SlotView[], slot: number, view: Partial<SlotView>): SlotView[] {
  return slots.map((current, index) => (index === slot ? { ...current, ...view } : current));
}

/** The slot that is neither answering nor retiring, if any. */
export function spareSlot(context: SupervisorContext): number | null {
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (slot !== context.answerer && slot !== context.retiring) return slot;
  }
  return null;
}

/** The backoff after `failures` failed fetches in a row. */
export function retryBackoffMs(failures: number): number {
  return Math.min(FETCH_RETRY.maxMs, FETCH_RETRY.baseMs * 2 ** (failures - 1));
}

/** A retry that is not due yet. */
export function waitingToRetry(context: SupervisorContext, retry: FetchRetry | null | undefined): boolean {
  return retry != null && context.now() < retry.retryAt;
}

/** Whether a version's last fetch failed for a passing reason and its retry is not due yet. */
export function inBackoff(context: SupervisorContext, version: string): boolean {
  return waitingToRetry(context, context.retries[version]);
}

/** Milliseconds until the next retry falls due, or null when none waits. */
export function nextRetryIn(context: SupervisorContext): number | null {
  let soonest: number | null = null;
  for (const retry of [...Object.values(context.retries), ...(context.standbyRetry ? [context.standbyRetry] : [])]) {
    const wait = retry.retryAt - context.now();
    if (wait > 0 && (soonest === null || wait < soonest)) soonest = wait;
  }
  return soonest;
}

/**
 * The newest version seen that is worth fetching: not quarantined, not waiting out a retry
 * backoff, and newer than what is served. Usually LATEST; an older one when LATEST turned out bad
 * and nothing is being served.
 */
export function fetchableLatest(context: SupervisorContext): string | null {
  let best: string | null = null;
  for (const version of Object.keys(context.paths)) {
    if (context.quarantined.includes(version) || inBackoff(context, version) || !isNewer(version, context.servingVersion)) continue;
    if (isNewer(version, best)) best = version;
  }
  return best;
}

/** A ready slot holding the newest promotable version, for taking over when nobody answers. */
export function bestHeld(context: SupervisorContext): number | null {
  let best: number | null = null;
  context.slots.forEach((view, slot) => {
    if (!view.ready || view.version === null || context.quarantined.includes(view.version)) return;
    if (best === null || isNewer(view.version, context.slots[best]!.version)) best = slot;
  });
  return best;
}

export function firstReady(context: SupervisorContext): number | null {
  const slot = context.slots.findIndex((view) => view.ready);
  return slot === -1 ? null : slot;
}
