// The swap cycle. This machine owns the two slot actors and decides which one answers queries
// (context.answerer, which the query router reads) and which one fetches. Pure definition.
import { type ActorLogic, type AnyActorLogic, and, assign, sendTo, setup } from 'xstate';
import type { SlotToSupervisorEvent } from './events.js';
import type { SlotInput, SlotTimeouts } from './slot.js';
import { slotMachine } from './slot.js';

export const SLOT_COUNT = 2;

export interface SlotView {
  /** Idle or standby: able to take a command now. */
  ready: boolean;
  /** The version the child holds (it may still answer with it). */
  version: string | null;
  /** The slot machine has reported a crash and not yet come back. */
  down: boolean;
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
  hasServed: boolean;
  stoppedSlots: number;
}

export type SupervisorEvent = SlotToSupervisorEvent | { type: 'VERSION_SEEN'; version: string; path: string } | { type: 'SHUTDOWN' };

export function slotActorId(slot: number): string {
  return `slot-${slot}`;
}

const isNewer = (version: string | null, than: string | null) => version !== null && (than === null || version > than);

function withSlot(slots: SlotView[], slot: number, view: Partial<SlotView>): SlotView[] {
  return slots.map((current, index) => (index === slot ? { ...current, ...view } : current));
}

/** The slot that is neither answering nor retiring, if any. */
function spareSlot(context: SupervisorContext): number | null {
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (slot !== context.answerer && slot !== context.retiring) return slot;
  }
  return null;
}

/**
 * The newest version seen that is worth fetching: not quarantined and newer than what is served.
 * Usually LATEST; an older one when LATEST turned out bad and nothing is being served.
 */
function fetchableLatest(context: SupervisorContext): string | null {
  let best: string | null = null;
  for (const version of Object.keys(context.paths)) {
    if (context.quarantined.includes(version) || !isNewer(version, context.servingVersion)) continue;
    if (isNewer(version, best)) best = version;
  }
  return best;
}

/** A ready slot holding the newest promotable version, for taking over when nobody answers. */
function bestHeld(context: SupervisorContext): number | null {
  let best: number | null = null;
  context.slots.forEach((view, slot) => {
    if (!view.ready || view.version === null || context.quarantined.includes(view.version)) return;
    if (best === null || isNewer(view.version, context.slots[best]!.version)) best = slot;
  });
  return best;
}

function firstReady(context: SupervisorContext): number | null {
  const slot = context.slots.findIndex((view) => view.ready);
  return slot === -1 ? null : slot;
}

const startFirstFetch = ['chooseFirstReady', 'markCandidateFetching', 'sendFetchToCandidate'] as const;
const startSpareFetch = ['chooseSpare', 'markCandidateFetching', 'sendFetchToCandidate'] as const;
const startStandbyFetch = ['chooseSpare', 'markCandidateFetching', 'sendStandbyFetchToCandidate'] as const;
const quarantineFailed = [
  'recordFetchFailed',
  'quarantine',
  {
    type: 'noteQuarantined',
    params: ({ event }: { event: SupervisorEvent }) =>
      event.type === 'SLOT_FETCH_FAILED' ? { version: event.version, error: event.error } : { version: '?', error: '?' },
  },
] as const;

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
  },
  actors: {
    // supervisor/ provides the slot machine with its process actions; tests provide fakes.
    slot: slotMachine as unknown as ActorLogic<any, any, SlotInput> as AnyActorLogic,
  },
  actions: {
    noteQuarantined: (_, _params: { version: string; error: string }) => {},
    noteDegraded: (_, _params: { reason: string }) => {},
    recordFetched: assign({
      slots: ({ context, event }) =>
        event.type === 'SLOT_FETCHED' ? withSlot(context.slots, event.slot, { ready: true, version: event.version }) : context.slots,
    }),
    recordFetchFailed: assign({
      slots: ({ context, event }) =>
        event.type === 'SLOT_FETCH_FAILED' ? withSlot(context.slots, event.slot, { ready: true, version: null }) : context.slots,
    }),
    recordCrash: assign({
      slots: ({ context, event }) =>
        event.type === 'SLOT_CRASHED' ? withSlot(context.slots, event.slot, { ready: false, version: null, down: true }) : context.slots,
    }),
    quarantine: assign({
      quarantined: ({ context, event }) =>
        event.type === 'SLOT_FETCH_FAILED' ? [...context.quarantined, event.version].slice(-100) : context.quarantined,
    }),
    countStopped: assign({ stoppedSlots: ({ context }) => context.stoppedSlots + 1 }),
    clearCandidate: assign({ candidate: null }),
    dropAnswerer: assign({ answerer: null, servingVersion: null }),
    swapAnswerer: assign(({ context, event }) => ({
      retiring: context.answerer,
      answerer: context.candidate,
      servingVersion: event.type === 'SLOT_ANSWERING' ? event.version : context.servingVersion,
      candidate: null,
      hasServed: true,
    })),
    pickHeldCandidate: assign({ candidate: ({ context }) => bestHeld(context) }),
    pickSpareCandidate: assign({ candidate: ({ context }) => spareSlot(context) }),
    markCandidateBusy: assign({ slots: ({ context }) => withSlot(context.slots, context.candidate!, { ready: false }) }),
    chooseFirstReady: assign({ candidate: ({ context }) => firstReady(context) }),
    chooseSpare: assign({ candidate: ({ context }) => spareSlot(context) }),
    sendStandbyFetchToCandidate: sendTo(
      ({ context }) => slotActorId(context.candidate!),
      ({ context }) => ({ type: 'CMD_FETCH', version: context.servingVersion!, path: context.paths[context.servingVersion!]! }),
    ),
    sendFetchToCandidate: sendTo(
      ({ context }) => slotActorId(context.candidate!),
      ({ context }) => {
        const version = fetchableLatest(context)!;
        return { type: 'CMD_FETCH', version, path: context.paths[version]! };
      },
    ),
    markCandidateFetching: assign({
      slots: ({ context }) => withSlot(context.slots, context.candidate!, { ready: false, version: null }),
    }),
  },
  delays: {
    standbyDelay: ({ context }) => context.standbyDelayMs,
  },
  guards: {
    fromCandidate: ({ context, event }) => 'slot' in event && event.slot === context.candidate,
    fromAnswerer: ({ context, event }) => 'slot' in event && event.slot === context.answerer,
    fromRetiring: ({ context, event }) => 'slot' in event && event.slot === context.retiring,
    noCandidate: ({ context }) => context.candidate === null,
    someoneHoldsVersion: ({ context }) => bestHeld(context) !== null,
    canFetchLatest: ({ context }) => fetchableLatest(context) !== null && firstReady(context) !== null,
    spareCanFetch: ({ context }) => {
      const spare = spareSlot(context);
      const latest = fetchableLatest(context);
      if (spare === null || latest === null) return false;
      const view = context.slots[spare]!;
      return view.ready && view.version !== latest;
    },
    spareHoldsNewer: ({ context }) => {
      const spare = spareSlot(context);
      if (spare === null) return false;
      const view = context.slots[spare]!;
      return view.ready && isNewer(view.version, context.servingVersion) && !context.quarantined.includes(view.version!);
    },
    spareNeedsStandby: ({ context }) => {
      const spare = spareSlot(context);
      const serving = context.servingVersion;
      if (!context.standby || spare === null || serving === null || !context.paths[serving]) return false;
      if (context.quarantined.includes(serving)) return false;
      const view = context.slots[spare]!;
      return view.ready && view.version !== serving && !isNewer(view.version, serving);
    },
    standbyDue: ({ context }) => context.now() - context.servingSince >= context.standbyDelayMs,
    fetchedIsNewer: ({ context, event }) => event.type === 'SLOT_FETCHED' && isNewer(event.version, context.servingVersion),
    hasAnswerer: ({ context }) => context.answerer !== null,
    hasServed: ({ context }) => context.hasServed,
    allStopped: ({ context }) => context.stoppedSlots >= SLOT_COUNT,
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    slotTimeouts: input.slotTimeouts,
    standby: input.standby,
    standbyDelayMs: input.standbyDelayMs,
    now: input.now,
    servingSince: 0,
    paths: {},
    slots: Array.from({ length: SLOT_COUNT }, () => ({ ready: false, version: null, down: false })),
    answerer: null,
    servingVersion: null,
    candidate: null,
    retiring: null,
    latestSeen: null,
    quarantined: [],
    hasServed: false,
    stoppedSlots: 0,
  }),
  invoke: Array.from({ length: SLOT_COUNT }, (_, slot) => ({
    id: slotActorId(slot),
    systemId: slotActorId(slot),
    src: 'slot' as const,
    input: ({ context }: { context: SupervisorContext }) => ({ slot, timeouts: context.slotTimeouts, now: context.now }),
  })),
  // Slot reports keep the view current in every state; states add their own decisions on top.
  on: {
    VERSION_SEEN: {
      actions: assign({
        latestSeen: ({ event }) => ({ version: event.version, path: event.path }),
        paths: ({ context, event }) => Object.fromEntries([...Object.entries(context.paths), [event.version, event.path]].slice(-20)),
      }),
    },
    SLOT_IDLE: {
      actions: assign({
        slots: ({ context, event }) => withSlot(context.slots, event.slot, { ready: true, version: event.version, down: false }),
      }),
    },
    SLOT_FETCHED: { actions: 'recordFetched' },
    SLOT_FETCH_FAILED: { actions: 'recordFetchFailed' },
    SLOT_ANSWERING: {},
    SLOT_DRAINED: {},
    SLOT_STOPPED: {},
    SLOT_CRASHED: { actions: 'recordCrash' },
    SHUTDOWN: { target: '.stopping' },
  },
  initial: 'booting',
  states: {
    booting: {
      always: [
        { guard: and(['noCandidate', 'someoneHoldsVersion']), target: 'promoting', actions: 'pickHeldCandidate' },
        { guard: and(['noCandidate', 'canFetchLatest']), target: 'loadingFirst', actions: [...startFirstFetch] },
      ],
    },
    loadingFirst: {
      on: {
        SLOT_FETCHED: [{ guard: 'fromCandidate', target: 'promoting', actions: 'recordFetched' }, { actions: 'recordFetched' }],
        SLOT_FETCH_FAILED: [
          { guard: and(['fromCandidate', 'hasServed']), target: 'degraded', actions: [...quarantineFailed, 'clearCandidate'] },
          { guard: 'fromCandidate', target: 'booting', actions: [...quarantineFailed, 'clearCandidate'] },
          { actions: 'recordFetchFailed' },
        ],
        SLOT_CRASHED: [
          { guard: and(['fromCandidate', 'hasServed']), target: 'degraded', actions: ['recordCrash', 'clearCandidate'] },
          { guard: 'fromCandidate', target: 'booting', actions: ['recordCrash', 'clearCandidate'] },
          { actions: 'recordCrash' },
        ],
      },
    },
    promoting: {
      entry: ['markCandidateBusy', sendTo(({ context }) => slotActorId(context.candidate!), { type: 'CMD_ANSWER' })],
      on: {
        SLOT_ANSWERING: [
          // The router switches on this assignment: new queries go to the new answerer from here.
          { guard: and(['fromCandidate', 'hasAnswerer']), target: 'draining', actions: 'swapAnswerer' },
          { guard: 'fromCandidate', target: 'serving', actions: 'swapAnswerer' },
        ],
        SLOT_CRASHED: [
          { guard: and(['fromCandidate', 'hasAnswerer']), target: 'serving', actions: ['recordCrash', 'clearCandidate'] },
          { guard: 'fromCandidate', target: 'degraded', actions: ['recordCrash', 'clearCandidate'] },
          { guard: 'fromAnswerer', actions: ['recordCrash', 'dropAnswerer'] },
          { actions: 'recordCrash' },
        ],
      },
    },
    draining: {
      entry: sendTo(({ context }) => slotActorId(context.retiring!), { type: 'CMD_DRAIN' }),
      on: {
        SLOT_DRAINED: { guard: 'fromRetiring', target: 'serving', actions: assign({ retiring: null }) },
        SLOT_CRASHED: [
          { guard: 'fromRetiring', target: 'serving', actions: ['recordCrash', assign({ retiring: null })] },
          { guard: 'fromAnswerer', target: 'degraded', actions: ['recordCrash', 'dropAnswerer'] },
          { actions: 'recordCrash' },
        ],
      },
    },
    serving: {
      entry: assign({ servingSince: ({ context }) => context.now() }),
      always: [
        { guard: 'spareHoldsNewer', target: 'promoting', actions: 'pickSpareCandidate' },
        { guard: 'spareCanFetch', target: 'fetching', actions: [...startSpareFetch] },
        { guard: and(['spareNeedsStandby', 'standbyDue']), target: 'fetching', actions: [...startStandbyFetch] },
      ],
      after: {
        standbyDelay: { guard: 'spareNeedsStandby', target: 'fetching', actions: [...startStandbyFetch] },
      },
      on: {
        SLOT_CRASHED: [{ guard: 'fromAnswerer', target: 'degraded', actions: ['recordCrash', 'dropAnswerer'] }, { actions: 'recordCrash' }],
      },
    },
    fetching: {
      on: {
        SLOT_FETCHED: [
          { guard: and(['fromCandidate', 'fetchedIsNewer']), target: 'promoting', actions: 'recordFetched' },
          { guard: 'fromCandidate', target: 'serving', actions: ['recordFetched', 'clearCandidate'] },
          { actions: 'recordFetched' },
        ],
        SLOT_FETCH_FAILED: [
          { guard: 'fromCandidate', target: 'serving', actions: [...quarantineFailed, 'clearCandidate'] },
          { actions: 'recordFetchFailed' },
        ],
        SLOT_CRASHED: [
          { guard: 'fromCandidate', target: 'serving', actions: ['recordCrash', 'clearCandidate'] },
          // The fetch goes on with nobody answering: that is loadingFirst.
          { guard: 'fromAnswerer', target: 'loadingFirst', actions: ['recordCrash', 'dropAnswerer'] },
          { actions: 'recordCrash' },
        ],
      },
    },
    degraded: {
      entry: { type: 'noteDegraded', params: { reason: 'no child can answer queries' } },
      always: [
        { guard: and(['noCandidate', 'someoneHoldsVersion']), target: 'promoting', actions: 'pickHeldCandidate' },
        { guard: and(['noCandidate', 'canFetchLatest']), target: 'loadingFirst', actions: [...startFirstFetch] },
      ],
    },
    stopping: {
      entry: [
        assign({ answerer: null, candidate: null, retiring: null }),
        sendTo(slotActorId(0), { type: 'CMD_SHUTDOWN' }),
        sendTo(slotActorId(1), { type: 'CMD_SHUTDOWN' }),
      ],
      always: { guard: 'allStopped', target: 'stopped' },
      on: {
        SLOT_STOPPED: { actions: 'countStopped' },
      },
    },
    stopped: { type: 'final' },
  },
});

export type SupervisorMachine = typeof supervisorMachine;
