// The life of one child process, as the supervisor sees it. Pure definition: every action that
// touches a process or a socket is a named placeholder that supervisor/ provides, so this
// machine runs in tests with no processes at all.
import { assign, sendParent, setup } from 'xstate';
import type { SlotToSupervisorEvent } from './events.js';

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
  /** When this slot crashed, within the restart-intensity window. */
  crashTimes: number[];
  now: () => number;
}

export type SlotEvent =
  // from the process and its channel
  | { type: 'SPAWNED'; pid: number }
  | { type: 'HELLO'; pid: number }
  | { type: 'ACK'; seq: number }
  | { type: 'FETCHED'; seq: number; version: string; count: number; dims: number; loadMs: number }
  | { type: 'FETCH_FAILED'; seq: number; version: string; error: string; code: string }
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

type SeqEvent = Extract<SlotEvent, { seq: number }>;

function _toParent(event: SlotToSupervisorEvent) {
  return sendParent(event);
}

export const slotMachine = setup({
  types: {
    context: {} as SlotContext,
    events: {} as SlotEvent,
    input: {} as SlotInput,
  },
  actions: {
    // Provided by supervisor/: each is the only place a side effect happens.
    spawnChild: (_, _params: { slot: number }) => {},
    welcomeChild: (_, _params: { slot: number }) => {},
    sendCommand: (_, _params: { slot: number; command: CommandToSend }) => {},
    killChild: (_, _params: { slot: number; pid: number | null; reason: string }) => {},
    noteStale: (_, _params: { slot: number; event: SeqEvent; expected: number }) => {},
    noteRestartLimited: (_, _params: { slot: number; crashes: number; windowMs: number; retryMs: number }) => {},
  },
  guards: {
    isCurrent: ({ context, event }) => 'seq' in event && event.seq === context.seq,
    holdsVersion: ({ context }) => context.version !== null,
    noProcess: ({ context }) => context.pid === null,
    restartIntensityExceeded: ({ context }) => context.crashTimes.length > context.timeouts.maxRestarts,
  },
  delays: {
    spawnTimeout: ({ context }) => context.timeouts.spawnMs,
    helloTimeout: ({ context }) => context.timeouts.helloMs,
    ackTimeout: ({ context }) => context.timeouts.ackMs,
    fetchTimeout: ({ context }) => context.timeouts.fetchMs,
    drainTimeout: ({ context }) => context.timeouts.drainMs,
    killTimeout: ({ context }) => context.timeouts.killMs,
    shutdownTimeout: ({ context }) => context.timeouts.shutdownMs,
    limitedRetry: ({ context }) => context.timeouts.limitedRetryMs,
    backoff: ({ context }) =>
      Math.min(context.timeouts.backoffMaxMs, context.timeouts.backoffBaseMs * 2 ** Math.max(0, context.failures - 1)),
  },
}).createMachine({
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
    ACK: { actions: { type: 'noteStale', params: ({ context, event }) => ({ slot: context.slot, event, expected: context.seq }) } },
    FETCHED: { actions: { type: 'noteStale', params: ({ context, event }) => ({ slot: context.slot, event, expected: context.seq }) } },
    FETCH_FAILED: {
      actions: { type: 'noteStale', params: ({ context, event }) => ({ slot: context.slot, event, expected: context.seq }) },
    },
    DRAINED: { actions: { type: 'noteStale', params: ({ context, event }) => ({ slot: context.slot, event, expected: context.seq }) } },
    CMD_SHUTDOWN: { target: '.stopping' },
  },
  states: {
    spawning: {
      entry: { type: 'spawnChild', params: ({ context }) => ({ slot: context.slot }) },
      on: { SPAWNED: { target: 'handshake', actions: assign({ pid: ({ event }) => event.pid }) } },
      after: { spawnTimeout: { target: 'crashed', actions: assign({ lastFailure: 'spawn timed out' }) } },
    },
    handshake: {
      on: {
        HELLO: {
          target: 'idle',
          actions: [{ type: 'welcomeChild', params: ({ context }) => ({ slot: context.slot }) }, assign({ failures: 0 })],
        },
      },
      after: { helloTimeout: { target: 'crashed', actions: assign({ lastFailure: 'no HELLO in time' }) } },
    },
    idle: {
      entry: sendParent(({ context }): SlotToSupervisorEvent => ({ type: 'SLOT_IDLE', slot: context.slot, version: context.version })),
      on: {
        CMD_FETCH: { target: 'fetching' },
        // After a drain the child still holds its index, so it can answer again (failover).
        CMD_ANSWER: { target: 'answering', guard: 'holdsVersion' },
      },
    },
    fetching: {
      entry: [
        assign({
          seq: ({ context }) => context.seq + 1,
          pendingVersion: ({ event }) => (event.type === 'CMD_FETCH' ? event.version : null),
          pendingPath: ({ event }) => (event.type === 'CMD_FETCH' ? event.path : null),
          // The child drops what it holds before loading, so it holds at most one version.
          version: null,
        }),
        {
          type: 'sendCommand',
          params: ({ context }) => ({
            slot: context.slot,
            command: { type: 'FETCH', seq: context.seq, version: context.pendingVersion!, path: context.pendingPath! },
          }),
        },
      ],
      initial: 'awaitingAck',
      states: {
        awaitingAck: {
          on: { ACK: { target: 'loading', guard: 'isCurrent' } },
          after: { ackTimeout: { target: '#slot.crashed', actions: assign({ lastFailure: 'FETCH not acked in time' }) } },
        },
        loading: {
          after: { fetchTimeout: { target: '#slot.crashed', actions: assign({ lastFailure: 'FETCH did not finish in time' }) } },
        },
      },
      on: {
        // A loading child may be too busy to send heartbeats: its liveness is the process being alive.
        HEARTBEAT_LOST: {},
        FETCHED: {
          guard: 'isCurrent',
          target: 'standby',
          actions: [
            assign({ version: ({ event }) => event.version, pendingVersion: null, pendingPath: null }),
            sendParent(
              ({ context, event }): SlotToSupervisorEvent => ({
                type: 'SLOT_FETCHED',
                slot: context.slot,
                version: (event as Extract<SlotEvent, { type: 'FETCHED' }>).version,
              }),
            ),
          ],
        },
        FETCH_FAILED: {
          guard: 'isCurrent',
          target: 'idle',
          actions: [
            sendParent(({ context, event }): SlotToSupervisorEvent => {
              const failed = event as Extract<SlotEvent, { type: 'FETCH_FAILED' }>;
              return { type: 'SLOT_FETCH_FAILED', slot: context.slot, version: failed.version, error: failed.error, code: failed.code };
            }),
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
      entry: [
        assign({ seq: ({ context }) => context.seq + 1 }),
        {
          type: 'sendCommand',
          params: ({ context }) => ({ slot: context.slot, command: { type: 'ANSWER', seq: context.seq, version: context.version! } }),
        },
      ],
      initial: 'awaitingAck',
      states: {
        awaitingAck: {
          on: {
            ACK: {
              guard: 'isCurrent',
              target: 'serving',
              actions: sendParent(
                ({ context }): SlotToSupervisorEvent => ({ type: 'SLOT_ANSWERING', slot: context.slot, version: context.version! }),
              ),
            },
          },
          after: { ackTimeout: { target: '#slot.crashed', actions: assign({ lastFailure: 'ANSWER not acked in time' }) } },
        },
        serving: {
          on: { CMD_DRAIN: { target: '#slot.draining' } },
        },
      },
    },
    draining: {
      entry: [
        assign({ seq: ({ context }) => context.seq + 1 }),
        { type: 'sendCommand', params: ({ context }) => ({ slot: context.slot, command: { type: 'DRAIN', seq: context.seq } }) },
      ],
      initial: 'awaitingAck',
      states: {
        awaitingAck: {
          on: { ACK: { guard: 'isCurrent', target: 'awaitingDrained' } },
          after: { ackTimeout: { target: '#slot.crashed', actions: assign({ lastFailure: 'DRAIN not acked in time' }) } },
        },
        awaitingDrained: {
          after: { drainTimeout: { target: '#slot.crashed', actions: assign({ lastFailure: 'DRAINED not received in time' }) } },
        },
      },
      on: {
        // ZeroMQ keeps one socket's order, so DRAINED never overtakes its ACK; accepting it in
        // both substates costs nothing and survives a lost ACK.
        DRAINED: {
          guard: 'isCurrent',
          target: 'idle',
          actions: sendParent(({ context }): SlotToSupervisorEvent => ({ type: 'SLOT_DRAINED', slot: context.slot })),
        },
      },
    },
    crashed: {
      entry: [
        {
          type: 'killChild',
          params: ({ context }) => ({ slot: context.slot, pid: context.pid, reason: context.lastFailure ?? 'unknown' }),
        },
        sendParent(
          ({ context }): SlotToSupervisorEvent => ({ type: 'SLOT_CRASHED', slot: context.slot, reason: context.lastFailure ?? 'unknown' }),
        ),
        assign({
          version: null,
          pendingVersion: null,
          pendingPath: null,
          failures: ({ context }) => context.failures + 1,
          crashTimes: ({ context }) => {
            const now = context.now();
            return [...context.crashTimes.filter((t) => now - t < context.timeouts.restartWindowMs), now];
          },
        }),
      ],
      // A process that already exited (or never started) has nothing left to wait for.
      always: { guard: 'noProcess', target: 'backoff' },
      on: {
        EXITED: { target: 'backoff', actions: assign({ pid: null }) },
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
      after: { limitedRetry: { target: 'spawning', actions: assign({ crashTimes: [] }) } },
    },
    stopping: {
      entry: [
        assign({ seq: ({ context }) => context.seq + 1 }),
        { type: 'sendCommand', params: ({ context }) => ({ slot: context.slot, command: { type: 'SHUTDOWN', seq: context.seq } }) },
      ],
      on: {
        ACK: { guard: 'isCurrent' },
        EXITED: { target: 'stopped', actions: assign({ pid: null }) },
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
      entry: sendParent(({ context }): SlotToSupervisorEvent => ({ type: 'SLOT_STOPPED', slot: context.slot })),
    },
  },
});

export type SlotMachine = typeof slotMachine;
