// The traffic switch of a swap: who gets a new query, and what becomes of a query whose child
// failed. Pure functions of the supervisor machine's state and of the router's own small state;
// supervisor/query-router.ts does the sending and calls these for every decision.
import type { SupervisorContext } from './supervisor.js';

/**
 * Where new queries go: a slot (and a spare that may share its load), nowhere (fail fast), or
 * "wait": a child is about to answer (a bounded wait).
 */
export type RouteTarget = { kind: 'slot'; slot: number; spare?: number } | { kind: 'none' } | { kind: 'wait' };

/** What the router needs of a supervisor snapshot. */
export interface SupervisorView {
  context: Pick<SupervisorContext, 'answerer' | 'servingVersion' | 'slots' | 'candidate' | 'retiring'>;
  matches(state: 'promoting' | 'loadingFirst' | 'degraded'): boolean;
}

/**
 * Invariant 3: the answerer the machine names gets new queries. It changes at the new answerer's
 * ANSWER ack (the machine's `swapAnswerer`), so nothing goes to an older version once a newer one
 * is promoted. With `spareAnswers`, the spare shares them while it holds the very version served
 * and sits in standby (answeringSpare): one version is still served at a time. While a child is
 * being promoted, or is loading a version to answer with, queries wait for it (a bounded time:
 * the router's maxHoldMs) rather than fail.
 */
export function routeFor(supervisor: SupervisorView, slotStates: readonly string[] = [], spareAnswers = false): RouteTarget {
  const { answerer } = supervisor.context;
  if (answerer !== null) {
    const spare = spareAnswers ? answeringSpare(supervisor.context, slotStates) : null;
    return spare === null ? { kind: 'slot', slot: answerer } : { kind: 'slot', slot: answerer, spare };
  }
  if (supervisor.matches('promoting') || supervisor.matches('loadingFirst')) return { kind: 'wait' };
  // After a crash with no other child holding a version: one on its way back (restarting, not
  // held back by restart intensity) loads the version once up, so that is worth the short wait too.
  return supervisor.matches('degraded') && slotStates.some((state) => RESTARTING.test(state)) ? { kind: 'wait' } : { kind: 'none' };
}

/**
 * The slot besides the answerer that may answer too: it holds the served version (not an older
 * one, not a newer one before its promotion), it is in standby (not fetching, not being promoted,
 * not draining), and the machine has no other plan for it. The moment the machine sends it FETCH
 * it is the candidate, and stops taking queries in that same step.
 */
export function answeringSpare(context: SupervisorView['context'], slotStates: readonly string[]): number | null {
  const { answerer, servingVersion } = context;
  if (answerer === null || servingVersion === null) return null;
  for (let slot = 0; slot < context.slots.length; slot++) {
    if (slot === answerer || slot === context.candidate || slot === context.retiring) continue;
    const view = context.slots[slot]!;
    if (view.ready && view.version === servingVersion && slotStates[slot] === 'standby') return slot;
  }
  return null;
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
  return a.kind === b.kind && (a.kind !== 'slot' || (b.kind === 'slot' && a.slot === b.slot && a.spare === b.spare));
}

/**
 * A spare that stopped sharing the load (it is about to fetch, or the target changed): its
 * in-flight queries go out again elsewhere, so no answer of a version it loads next is ever used.
 * The answerer is never one: an old answerer finishes what it has (it drains).
 */
export function spareLeft(before: RoutingState, after: RoutingState): number | null {
  const spare = before.target.kind === 'slot' ? before.target.spare : undefined;
  if (spare === undefined) return null;
  const { target } = after;
  return target.kind === 'slot' && (target.slot === spare || target.spare === spare) ? null : spare;
}

export function nextRouting(state: RoutingState, event: RoutingEvent): RoutingState {
  switch (event.type) {
    case 'TARGET': {
      if (sameTarget(state.target, event.target)) return state;
      // A new answerer supersedes what the router suspected; a spare coming or going does not.
      const sameAnswerer = state.target.kind === 'slot' && event.target.kind === 'slot' && state.target.slot === event.target.slot;
      return { target: event.target, suspect: sameAnswerer ? state.suspect : null };
    }
    case 'SLOT_FAILED': {
      const { target } = state;
      if (target.kind !== 'slot') return state;
      if (target.slot === event.slot) return { ...state, target: { kind: 'wait' } };
      // A dead spare just stops sharing; the answerer carries on alone.
      return target.spare === event.slot ? { ...state, target: { kind: 'slot', slot: target.slot } } : state;
    }
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

/** How busy each slot is, as the router sees it: what a spare shares the queries by. */
export interface SlotLoad {
  /** Queries sent to each slot and not answered yet. */
  inFlight: readonly number[];
  /** The slot whose batch is being filled in the outbox, if any. */
  filling: number | null;
  /** The slot the last batch was started for. */
  lastBatch: number | null;
}

const NO_LOAD: SlotLoad = { inFlight: [], filling: null, lastBatch: null };

/**
 * Per query, on the hot path: allocates only for a send. With a spare sharing the load, the slot
 * whose batch is being filled keeps it until the batch leaves, so sharing costs no extra messages;
 * a new batch goes to the one with fewer queries in flight, on a tie to the one that did not get
 * the last batch. A slot a send just failed to reach gets nothing while the other can take it.
 */
export function dispatchFor(state: RoutingState, now: number, load: SlotLoad = NO_LOAD): Dispatch {
  const { target, suspect } = state;
  if (target.kind === 'none') return FAIL;
  if (target.kind === 'wait') return HOLD;
  const suspected = suspect !== null && now < suspect.until ? suspect.slot : null;
  const { slot, spare } = target;
  if (spare !== undefined && spare !== suspected) {
    if (slot === suspected || load.filling === spare) return { kind: 'send', slot: spare };
    const atSpare = load.inFlight[spare] ?? 0;
    const atAnswerer = load.inFlight[slot] ?? 0;
    if (load.filling !== slot && (atSpare < atAnswerer || (atSpare === atAnswerer && load.lastBatch === slot)))
      return { kind: 'send', slot: spare };
  }
  if (slot === suspected) return HOLD;
  return { kind: 'send', slot };
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
