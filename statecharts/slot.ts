// The life of one child process, as the supervisor sees it. Pure definition: every action that
// touches a process or a socket is a named placeholder that supervisor/ provides, so this
// machine runs in tests with no processes at all.
import { type ActorRefFrom, assign, sendParent } from 'xstate';
import type { SlotToSupervisorEvent } from './events.js';
import type { CommandToSend, SeqEvent, SlotContext, SlotEvent } from './slot-context.js';
import { slot } from './slot-setup.js';

export type { CommandToSend, SlotContext, SlotEvent, SlotInput, SlotTimeouts } from './slot-context.js';
export { DEFAULT_SLOT_TIMEOUTS } from './slot-context.js';

/** A wait that ran out: the child is treated as failed (invariant 1). */
function crash(reason: string) {
  return { target: '#slot.crashed', actions: slot.assign({ lastFailure: reason }) } as const;
}

/** The next sequence number, and the command sent with it: an ACK for any other number is stale. */
function sendNext(command: (context: SlotContext) => CommandToSend) {
  return [
    slot.assign({ seq: ({ context }) => context.seq + 1 }),
    { type: 'sendCommand', params: ({ context }: { context: SlotContext }) => ({ slot: context.slot, command: command(context) }) },
  ] as const;
}

/** The first substate of every acked command: its ACK with the current seq, or a crash when it times out. */
function awaitingAck(
  command: CommandToSend['type'],
  acked: string,
  actions?: ReturnType<typeof tellParent<Extract<SlotEvent, { type: 'ACK' }>>>,
) {
  return slot.createStateConfig({
    on: { ACK: { guard: 'isCurrent', target: acked, ...(actions ? { actions } : {}) } },
    after: { ackTimeout: crash(`${command} not acked in time`) },
  });
}

/** Tells the supervisor machine what became of this slot. */
function tellParent<E extends SlotEvent>(make: (context: SlotContext) => SlotToSupervisorEvent) {
  return sendParent<SlotContext, E, undefined, SlotToSupervisorEvent, SlotEvent>(({ context }) => make(context));
}

const noteStale = {
  type: 'noteStale',
  params: ({ context, event }: { context: SlotContext; event: SlotEvent }) => ({
    slot: context.slot,
    event: event as SeqEvent,
    expected: context.seq,
  }),
} as const;

const noteUnexpected = {
  type: 'noteUnexpected',
  params: ({ context, event }: { context: SlotContext; event: SlotEvent }) => ({ slot: context.slot, type: event.type }),
} as const;

export const slotMachine = slot.createMachine({
  id: 'slot',
  context: ({ input }) => ({
    slot: input.slot,
    timeouts: input.timeouts,
    seq: 0,
    pid: null,
    version: null,
    pendingVersion: null,
    pendingPath: null,
    failures: 0,
    lastFailure: null,
    crashTimes: [],
    loadedSinceSpawn: false,
    now: input.now,
  }),
  initial: 'spawning',
  on: {
    // A process that exits on its own is a crash in every state but stopping.
    EXITED: {
      target: '.crashed',
      actions: assign({ lastFailure: ({ event }) => `exited (code ${event.code}, signal ${event.signal})`, pid: null }),
    },
    HEARTBEAT_LOST: {
      target: '.crashed',
      actions: assign({ lastFailure: ({ event }) => `no heartbeat for ${event.silentMs} ms` }),
    },
    // Reached only when a state's own guarded handler did not match: an old seq. Traced, never applied.
    ACK: { actions: noteStale },
    FETCHED: { actions: noteStale },
    FETCH_FAILED: { actions: noteStale },
    DRAINED: { actions: noteStale },
    // A handshake message outside the handshake (a second HELLO, a SPAWNED for a process we no
    // longer wait for): ignored, but traced and logged, never silently dropped.
    SPAWNED: { actions: noteUnexpected },
    HELLO: { actions: noteUnexpected },
    CMD_SHUTDOWN: { target: '.stopping' },
  },
  states: {
    spawning: {
      entry: [{ type: 'spawnChild', params: ({ context }) => ({ slot: context.slot }) }, slot.assign({ loadedSinceSpawn: false })],
      on: { SPAWNED: { target: 'handshake', actions: assign({ pid: ({ event }) => event.pid }) } },
      after: { spawnTimeout: { target: 'crashed', actions: slot.assign({ lastFailure: 'spawn timed out' }) } },
    },
    handshake: {
      on: {
        HELLO: {
          target: 'idle',
          actions: [{ type: 'welcomeChild', params: ({ context }) => ({ slot: context.slot }) }, slot.assign({ failures: 0 })],
        },
      },
      after: { helloTimeout: { target: 'crashed', actions: slot.assign({ lastFailure: 'no HELLO in time' }) } },
    },
    idle: {
      entry: tellParent((context) => ({ type: 'SLOT_IDLE', slot: context.slot, version: context.version })),
      on: {
        CMD_FETCH: { target: 'fetching' },
        // After a drain the child still holds its index, so it can answer again (failover).
        CMD_ANSWER: { target: 'answering', guard: 'holdsVersion' },
      },
    },
    fetching: {
      entry: [
        slot.assign({
          pendingVersion: ({ event }) => (event.type === 'CMD_FETCH' ? event.version : null),
          pendingPath: ({ event }) => (event.type === 'CMD_FETCH' ? event.path : null),
          // The child drops what it holds before loading, so it holds at most one version.
          version: null,
        }),
        ...sendNext((context) => ({ type: 'FETCH', seq: context.seq, version: context.pendingVersion!, path: context.pendingPath! })),
      ],
      initial: 'awaitingAck',
      states: {
        awaitingAck: awaitingAck('FETCH', 'loading'),
        // Invariant 6: a load is one long native call; its own timeout, not the heartbeat, bounds it.
        loading: { after: { fetchTimeout: crash('FETCH did not finish in time') } },
      },
      on: {
        HEARTBEAT_LOST: {},
        FETCHED: {
          guard: 'isCurrent',
          target: 'standby',
          actions: [
            assign({ version: ({ event }) => event.version, pendingVersion: null, pendingPath: null, loadedSinceSpawn: true }),
            tellParent((context) => ({ type: 'SLOT_FETCHED', slot: context.slot, version: context.version! })),
          ],
        },
        FETCH_FAILED: {
          guard: 'isCurrent',
          target: 'idle',
          actions: [
            sendParent(
              ({ context, event }): SlotToSupervisorEvent => ({
                type: 'SLOT_FETCH_FAILED',
                slot: context.slot,
                version: event.version,
                error: event.error,
                code: event.code,
              }),
            ),
            assign({ pendingVersion: null, pendingPath: null }),
          ],
        },
      },
    },
    standby: {
      on: {
        CMD_ANSWER: { target: 'answering' },
        CMD_FETCH: { target: 'fetching' },
      },
    },
    answering: {
      entry: sendNext((context) => ({ type: 'ANSWER', seq: context.seq, version: context.version! })),
      initial: 'awaitingAck',
      states: {
        // At this ACK the supervisor sends new queries here (invariant 3).
        awaitingAck: awaitingAck(
          'ANSWER',
          'serving',
          tellParent((context) => ({ type: 'SLOT_ANSWERING', slot: context.slot, version: context.version! })),
        ),
        serving: { on: { CMD_DRAIN: { target: '#slot.draining' } } },
      },
    },
    draining: {
      entry: sendNext((context) => ({ type: 'DRAIN', seq: context.seq })),
      initial: 'awaitingAck',
      states: {
        awaitingAck: awaitingAck('DRAIN', 'awaitingDrained'),
        awaitingDrained: { after: { drainTimeout: crash('DRAINED not received in time') } },
      },
      on: {
        // ZeroMQ keeps one socket's order, so DRAINED never overtakes its ACK; accepting it in
        // both substates costs nothing and survives a lost ACK.
        DRAINED: {
          guard: 'isCurrent',
          target: 'idle',
          actions: tellParent((context) => ({ type: 'SLOT_DRAINED', slot: context.slot })),
        },
      },
    },
    crashed: {
      entry: [
        {
          type: 'killChild',
          params: ({ context }) => ({ slot: context.slot, pid: context.pid, reason: context.lastFailure ?? 'unknown' }),
        },
        tellParent((context) => ({ type: 'SLOT_CRASHED', slot: context.slot, reason: context.lastFailure ?? 'unknown' })),
        slot.assign({
          version: null,
          pendingVersion: null,
          pendingPath: null,
          failures: ({ context }) => context.failures + 1,
          crashTimes: ({ context }) => {
            const now = context.now();
            const recent = context.crashTimes.filter((t) => now - t < context.timeouts.restartWindowMs);
            return context.loadedSinceSpawn ? recent : [...recent, now];
          },
        }),
      ],
      // A process that already exited (or never started) has nothing left to wait for.
      always: { guard: 'noProcess', target: 'backoff' },
      on: {
        EXITED: { target: 'backoff', actions: slot.assign({ pid: null }) },
        HEARTBEAT_LOST: {},
      },
      after: { killTimeout: { target: 'backoff' } },
    },
    backoff: {
      always: { guard: 'restartIntensityExceeded', target: 'restartLimited' },
      on: { EXITED: {}, HEARTBEAT_LOST: {} },
      after: { backoff: { target: 'spawning' } },
    },
    // Crashing faster than the intensity limit allows: no restart storm. Keep trying, slowly.
    restartLimited: {
      entry: {
        type: 'noteRestartLimited',
        params: ({ context }) => ({
          slot: context.slot,
          crashes: context.crashTimes.length,
          windowMs: context.timeouts.restartWindowMs,
          retryMs: context.timeouts.limitedRetryMs,
        }),
      },
      on: { EXITED: {}, HEARTBEAT_LOST: {} },
      after: { limitedRetry: { target: 'spawning', actions: slot.assign({ crashTimes: [] }) } },
    },
    stopping: {
      // SHUTDOWN's ACK is not awaited: the exit is what counts, and the timeout kills.
      entry: sendNext((context) => ({ type: 'SHUTDOWN', seq: context.seq })),
      on: {
        ACK: { guard: 'isCurrent' },
        EXITED: { target: 'stopped', actions: slot.assign({ pid: null }) },
        HEARTBEAT_LOST: {},
        CMD_SHUTDOWN: {},
      },
      after: {
        shutdownTimeout: {
          target: 'stopped',
          actions: { type: 'killChild', params: ({ context }) => ({ slot: context.slot, pid: context.pid, reason: 'SHUTDOWN timed out' }) },
        },
      },
    },
    stopped: {
      type: 'final',
      entry: tellParent((context) => ({ type: 'SLOT_STOPPED', slot: context.slot })),
    },
  },
});

export type SlotMachine = typeof slotMachine;
/** A running slot machine, as the supervisor machine spawns it. */
export type SlotRef = ActorRefFrom<SlotMachine>;
