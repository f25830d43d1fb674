// The swap cycle. This machine owns the two slot actors and decides which one answers queries
// (context.answerer, which the query router reads) and which one fetches. Pure definition.
import { and, assign, enqueueActions, sendTo, setup } from 'xstate';
import { slotMachine } from './slot.js';
import {
  bestHeld,
  FETCH_RETRY,
  type FetchRetry,
  fetchableLatest,
  firstReady,
  isNewer,
  nextRetryIn,
  retryBackoffMs,
  SLOT_COUNT,
  type SupervisorContext,
  type SupervisorEvent,
  type SupervisorInput,
  slotActorId,
  spareSlot,
  waitingToRetry,
  withSlot,
} from './supervisor-context.js';

export type { SlotView, SupervisorContext, SupervisorEvent, SupervisorInput } from './supervisor-context.js';
export { SLOT_COUNT, slotActorId } from './supervisor-context.js';

const startFirstFetch = ['chooseFirstReady', 'markCandidateFetching', 'sendFetchToCandidate'] as const;
const startSpareFetch = ['chooseSpare', 'markCandidateFetching', 'sendFetchToCandidate'] as const;
const startStandbyFetch = ['chooseSpare', 'markCandidateFetching', 'sendStandbyFetchToCandidate'] as const;
// A failed fetch: quarantined on the version's merits, else retried after a backoff (FETCH_RETRY).
const judgeFailedFetch = [
  'recordFetchFailed',
  'quarantineOrRetry',
  {
    type: 'noteFetchFailure',
    params: ({ context, event }: { context: SupervisorContext; event: SupervisorEvent }) => {
      if (event.type !== 'SLOT_FETCH_FAILED') return { version: '?', error: '?', quarantined: false, retry: null };
      const quarantined = context.quarantined.includes(event.version);
      const retry = event.version === context.servingVersion ? context.standbyRetry : (context.retries[event.version] ?? null);
      return { version: event.version, error: event.error, quarantined, retry: quarantined ? null : retry };
    },
  },
] as const;

const supervisor = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
  },
  actors: {
    // supervisor/ provides the slot machine with its process actions; tests provide fakes.
    slot: slotMachine,
  },
  actions: {
    noteFetchFailure: (_, _params: { version: string; error: string; quarantined: boolean; retry: FetchRetry | null }) => {},
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
        event.type === 'SLOT_CRASHED' ? withSlot(context.slots, event.slot, { ready: false, version: null }) : context.slots,
    }),
    quarantineOrRetry: assign(({ context, event }) => {
      if (event.type !== 'SLOT_FETCH_FAILED') return {};
      const { version } = event;
      const { [version]: previous, ...others } = context.retries;
      if (version === context.servingVersion) {
        // The answerer loaded it: only the spare's standby copy failed. It tries again later.
        const failures = (context.standbyRetry?.failures ?? 0) + 1;
        return { standbyRetry: { failures, retryAt: context.now() + retryBackoffMs(failures) } };
      }
      const failures = (previous?.failures ?? 0) + 1;
      if (event.code !== 'LOAD_FAILED' || failures >= FETCH_RETRY.transientLimit)
        return { quarantined: [...context.quarantined, version].slice(-100), retries: others };
      // Only versions still seen keep a retry: the table stays as small as `paths`.
      const kept = Object.fromEntries(Object.entries(others).filter(([seen]) => seen in context.paths));
      return { retries: { ...kept, [version]: { failures, retryAt: context.now() + retryBackoffMs(failures) } } };
    }),
    forgetRetry: assign(({ context, event }) => {
      if (event.type !== 'SLOT_FETCHED') return {};
      const { [event.version]: _done, ...retries } = context.retries;
      return { retries, standbyRetry: event.version === context.servingVersion ? null : context.standbyRetry };
    }),
    countStopped: assign({ stoppedSlots: ({ context }) => context.stoppedSlots + 1 }),
    clearCandidate: assign({ candidate: null }),
    dropAnswerer: assign({ answerer: null, servingVersion: null, standbyRetry: null }),
    swapAnswerer: assign(({ context, event }) => ({
      retiring: context.answerer,
      answerer: context.candidate,
      servingVersion: event.type === 'SLOT_ANSWERING' ? event.version : context.servingVersion,
      standbyRetry: event.type === 'SLOT_ANSWERING' && event.version === context.servingVersion ? context.standbyRetry : null,
      candidate: null,
      hasServed: true,
    })),
    pickHeldCandidate: assign({ candidate: ({ context }) => bestHeld(context) }),
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
    // Only ever taken with retryPending; the day is a placeholder for "no retry waits".
    retryDue: ({ context }) => nextRetryIn(context) ?? 86_400_000,
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
      if (waitingToRetry(context, context.standbyRetry)) return false;
      const view = context.slots[spare]!;
      return view.ready && view.version !== serving && !isNewer(view.version, serving);
    },
    retryPending: ({ context }) => nextRetryIn(context) !== null,
    standbyDue: ({ context }) => !context.afterSwap || context.now() - context.servingSince >= context.standbyDelayMs,
    fetchedIsNewer: ({ context, event }) => event.type === 'SLOT_FETCHED' && isNewer(event.version, context.servingVersion),
    hasAnswerer: ({ context }) => context.answerer !== null,
    hasServed: ({ context }) => context.hasServed,
    allStopped: ({ context }) => context.stoppedSlots >= SLOT_COUNT,
  },
});

/** A retry falling due is a reason to look again: the state's `always` runs after this. */
const wakeForRetry = { retryDue: { guard: 'retryPending', actions: [] } } as const;

/** Nobody answers: promote a child that holds a version, else fetch the newest one worth it. */
const findAnAnswerer = supervisor.createStateConfig({
  always: [
    { guard: and(['noCandidate', 'someoneHoldsVersion']), target: 'promoting', actions: 'pickHeldCandidate' },
    { guard: and(['noCandidate', 'canFetchLatest']), target: 'loadingFirst', actions: [...startFirstFetch] },
  ],
  after: wakeForRetry,
});

export const supervisorMachine = supervisor.createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    slotTimeouts: input.slotTimeouts,
    standby: input.standby,
    standbyDelayMs: input.standbyDelayMs,
    now: input.now,
    servingSince: 0,
    afterSwap: false,
    paths: {},
    slots: Array.from({ length: SLOT_COUNT }, () => ({ ready: false, version: null })),
    answerer: null,
    servingVersion: null,
    candidate: null,
    retiring: null,
    latestSeen: null,
    quarantined: [],
    retries: {},
    standbyRetry: null,
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
      // A slot reports idle after the event that freed it (a FETCH_FAILED, say); by then this
      // machine may already have given it its next command: a report from the candidate is stale.
      guard: ({ context, event }) => event.slot !== context.candidate,
      actions: assign({
        slots: ({ context, event }) => withSlot(context.slots, event.slot, { ready: true, version: event.version }),
      }),
    },
    SLOT_FETCHED: { actions: ['recordFetched', 'forgetRetry'] },
    SLOT_FETCH_FAILED: { actions: 'recordFetchFailed' },
    SLOT_ANSWERING: {},
    SLOT_DRAINED: {},
    SLOT_STOPPED: {},
    SLOT_CRASHED: { actions: 'recordCrash' },
    SHUTDOWN: { target: '.stopping' },
  },
  initial: 'booting',
  states: {
    booting: findAnAnswerer,
    loadingFirst: {
      on: {
        SLOT_FETCHED: [
          { guard: 'fromCandidate', target: 'promoting', actions: ['recordFetched', 'forgetRetry'] },
          { actions: ['recordFetched', 'forgetRetry'] },
        ],
        SLOT_FETCH_FAILED: [
          { guard: and(['fromCandidate', 'hasServed']), target: 'degraded', actions: [...judgeFailedFetch, 'clearCandidate'] },
          { guard: 'fromCandidate', target: 'booting', actions: [...judgeFailedFetch, 'clearCandidate'] },
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
          { guard: 'fromCandidate', target: 'serving', actions: ['swapAnswerer', assign({ afterSwap: false })] },
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
        SLOT_DRAINED: { guard: 'fromRetiring', target: 'serving', actions: assign({ retiring: null, afterSwap: true }) },
        SLOT_CRASHED: [
          { guard: 'fromRetiring', target: 'serving', actions: ['recordCrash', assign({ retiring: null, afterSwap: true })] },
          { guard: 'fromAnswerer', target: 'degraded', actions: ['recordCrash', 'dropAnswerer'] },
          { actions: 'recordCrash' },
        ],
      },
    },
    serving: {
      entry: assign({ servingSince: ({ context }) => context.now() }),
      always: [
        { guard: 'spareHoldsNewer', target: 'promoting', actions: 'chooseSpare' },
        { guard: 'spareCanFetch', target: 'fetching', actions: [...startSpareFetch] },
        { guard: and(['spareNeedsStandby', 'standbyDue']), target: 'fetching', actions: [...startStandbyFetch] },
      ],
      after: {
        standbyDelay: { guard: 'spareNeedsStandby', target: 'fetching', actions: [...startStandbyFetch] },
        ...wakeForRetry,
      },
      on: {
        SLOT_CRASHED: [{ guard: 'fromAnswerer', target: 'degraded', actions: ['recordCrash', 'dropAnswerer'] }, { actions: 'recordCrash' }],
      },
    },
    fetching: {
      on: {
        SLOT_FETCHED: [
          { guard: and(['fromCandidate', 'fetchedIsNewer']), target: 'promoting', actions: ['recordFetched', 'forgetRetry'] },
          { guard: 'fromCandidate', target: 'serving', actions: ['recordFetched', 'forgetRetry', 'clearCandidate'] },
          { actions: ['recordFetched', 'forgetRetry'] },
        ],
        SLOT_FETCH_FAILED: [
          { guard: 'fromCandidate', target: 'serving', actions: [...judgeFailedFetch, 'clearCandidate'] },
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
      ...findAnAnswerer,
      entry: { type: 'noteDegraded', params: { reason: 'no child can answer queries' } },
    },
    stopping: {
      entry: [
        assign({ answerer: null, candidate: null, retiring: null }),
        enqueueActions(({ enqueue }) => {
          for (let slot = 0; slot < SLOT_COUNT; slot++) enqueue.sendTo(slotActorId(slot), { type: 'CMD_SHUTDOWN' });
        }),
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
