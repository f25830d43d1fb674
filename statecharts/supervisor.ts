// The swap cycle. This machine owns the two slot actors and decides which one answers queries
// (context.answerer, which the query router reads) and which one fetches. Pure definition.
import { and, assign, enqueueActions, sendTo } from 'xstate';
import { SLOT_COUNT, type SupervisorContext, type SupervisorEvent, slotActorId, withSlot } from './supervisor-context.js';
import { supervisor } from './supervisor-setup.js';

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
