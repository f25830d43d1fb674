// The traffic switch of a swap: who gets a new query, and what becomes of a query whose child
// failed. Pure functions of the supervisor machine's state and of the router's own small state;
// supervisor/query-router.ts does the sending and calls these for every decision.
import type { SupervisorContext } from './supervisor.js';

/** Where new queries go: a slot, nowhere (fail fast), or "wait": a child is about to answer (a bounded wait). */
export type RouteTarget = { kind: 'slot'; slot: number } | { kind: 'none' } | { kind: 'wait' };

/** What the router needs of a supervisor snapshot. */
export interface SupervisorView {
  context: Pick<SupervisorContext, 'answerer'>;
  matches(state: 'promoting' | 'loadingFirst' | 'degraded'): boolean;
}

/**
 * Invariant 3: the answerer the machine names, and only it, gets new queries. It changes at the
 * new answerer's ANSWER ack (the machine's `swapAnswerer`), so nothing goes to an older version
 * once a newer one is promoted. While a child is being promoted, or is loading a version to
 * answer with, queries wait for it (a bounded time: the router's maxHoldMs) rather than fail.
 */
export function routeFor(supervisor: SupervisorView, slotStates: readonly string[] = []): RouteTarget {
  const { answerer } = supervisor.context;
  if (answerer !== null) return { kind: 'slot', slot: answerer };
  if (supervisor.matches('promoting') || supervisor.matches('loadingFirst')) return { kind: 'wait' };
  // After a crash with no other child holding a version: one on its way back (restarting, not
  // held back by restart intensity) loads the version once up, so that is worth the short wait too.
  return supervisor.matches('degraded') && slotStates.some((state) => RESTARTING.test(state)) ? { kind: 'wait' } : { kind: 'none' };
}

/** Slot states of a child on its way back up. */
const RESTARTING = /^(crashed|backoff|spawning|handshake|idle)$/;

/** The router's own state: the target, and a slot a send just failed to reach. */
export interface RoutingState {
  target: RouteTarget;
  /** No queries for this slot until `until`, unless the supervisor names a target first. */
  suspect: { slot: number; until: number } | null;
}

export const INITIAL_ROUTING: RoutingState = { target: { kind: 'none' }, suspect: null };

export type RoutingEvent =
  /** The supervisor machine's snapshot changed. */
  | { type: 'TARGET'; target: RouteTarget }
  /** A child died or was killed: until the machine decides, queries wait. */
  | { type: 'SLOT_FAILED'; slot: number }
  /** A batch could not be delivered to a slot (its process is dying, or hung). */
  | { type: 'SEND_FAILED'; slot: number; now: number; suspectMs: number }
  /** Time passes: a suspicion nobody confirmed lapses. */
  | { type: 'TICK'; now: number };

function sameTarget(a: RouteTarget, b: RouteTarget): boolean {
  return a.kind === b.kind && (a.kind !== 'slot' || (b.kind === 'slot' && a.slot === b.slot));
}

export function nextRouting(state: RoutingState, event: RoutingEvent): RoutingState {
  switch (event.type) {
    case 'TARGET':
      if (sameTarget(state.target, event.target)) return state;
      // A new decision of the machine supersedes what the router suspected.
      return { target: event.target, suspect: null };
    case 'SLOT_FAILED':
      return state.target.kind === 'slot' && state.target.slot === event.slot ? { ...state, target: { kind: 'wait' } } : state;
    case 'SEND_FAILED':
      return { ...state, suspect: { slot: event.slot, until: event.now + event.suspectMs } };
    case 'TICK':
      return state.suspect !== null && event.now >= state.suspect.until ? { ...state, suspect: null } : state;
  }
}

/** What to do with a query now: send it to a slot, hold it until a target is named, or fail it. */
export type Dispatch = { kind: 'send'; slot: number } | { kind: 'hold' } | { kind: 'fail' };

const HOLD: Dispatch = { kind: 'hold' };
const FAIL: Dispatch = { kind: 'fail' };

/** Per query, on the hot path: allocates only for a send. */
export function dispatchFor(state: RoutingState, now: number): Dispatch {
  const { target, suspect } = state;
  if (target.kind === 'none') return FAIL;
  if (target.kind === 'wait') return HOLD;
  if (suspect !== null && suspect.slot === target.slot && now < suspect.until) return HOLD;
  return { kind: 'send', slot: target.slot };
}

/** A query accepted from a client: refused at once only when nobody can answer or wait for one. */
export function admits(state: RoutingState): boolean {
  return state.target.kind !== 'none';
}

/**
 * A query whose child failed it (died, hung, or had no index after all) is retried once, on
 * whoever answers next; a second failure is the client's 503. So a failover costs no request.
 */
export function afterLostQuery(alreadyRetried: boolean): 'retry' | 'fail' {
  return alreadyRetried ? 'fail' : 'retry';
}

/** Held queries go out again when the state lets them be sent, and fail when nobody can answer. */
export function releaseHeld(state: RoutingState, now: number): 'dispatch' | 'fail' | 'keep' {
  const dispatch = dispatchFor(state, now);
  return dispatch.kind === 'send' ? 'dispatch' : dispatch.kind === 'fail' ? 'fail' : 'keep';
}

/** Slot states in which a child still holds the version its context names. */
const HOLDING = /^(idle|standby|answering|draining)/;

/**
 * Where a later page of a cursor goes: the version it pages through answers it, so a page never
 * mixes two versions' rankings. This refines invariant 3 for continuation pages only: a new query
 * still goes to the newest promoted version, while a page of a cursor issued before a swap is
 * answered by the older version as long as a child holds it ('answerer' when that is the one
 * serving), and is refused (a 410 to the client) once none does.
 */
export function pageTarget(
  version: string,
  answerer: number | null,
  slots: readonly { version: string | null; state: string }[],
): number | 'answerer' | null {
  if (answerer !== null && slots[answerer]?.version === version) return 'answerer';
  const holder = slots.findIndex((slot) => slot.version === version && HOLDING.test(slot.state));
  return holder < 0 ? null : holder;
}
