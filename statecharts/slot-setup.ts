// The slot machine's setup: its types, and the named actions, guards and delays its states use.
// The actions are placeholders that supervisor/ provides: each is the only place a side effect happens.
import { setup } from 'xstate';
import type { CommandToSend, SeqEvent, SlotContext, SlotEvent, SlotInput } from './slot-context.js';

export const slot = setup({
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
    noteUnexpected: (_, _params: { slot: number; type: string }) => {},
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
});
