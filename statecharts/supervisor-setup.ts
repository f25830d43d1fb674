// The supervisor machine's setup: its types, the slot actor, and the named actions, delays and
// guards its chart (supervisor.ts) refers to; one setup value, so the chart keeps XState's typing.
import { assign, sendTo, setup } from 'xstate';
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

export const supervisor = setup({
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
