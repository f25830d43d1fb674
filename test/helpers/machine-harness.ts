// Runs the real supervisor and slot machines with recording actions and a simulated clock:
// the swap cycle with no processes, sockets or waiting.
import { type ActorRefFrom, createActor, SimulatedClock } from 'xstate';
import { type CommandToSend, DEFAULT_SLOT_TIMEOUTS, type SlotMachine, type SlotTimeouts, slotMachine } from '../../statecharts/slot.js';
import { slotActorId, supervisorMachine } from '../../statecharts/supervisor.js';
import { createTraceRecorder, stateToString, type TraceRecord } from '../../trace/trace-record.js';

export interface Sent {
  slot: number;
  command: CommandToSend;
}

export function startHarness(timeouts: Partial<SlotTimeouts> = {}, options: { standby?: boolean; standbyDelayMs?: number } = {}) {
  const clock = new SimulatedClock();
  const sent: Sent[] = [];
  const spawned: number[] = [];
  const killed: { slot: number; reason: string }[] = [];
  const stale: { slot: number; seq: number; expected: number }[] = [];
  const unexpected: { slot: number; type: string }[] = [];
  const records: TraceRecord[] = [];
  const limited: { slot: number; crashes: number }[] = [];
  const slot = slotMachine.provide({
    actions: {
      spawnChild: (_, { slot }) => void spawned.push(slot),
      welcomeChild: () => {},
      sendCommand: (_, { slot, command }) => void sent.push({ slot, command }),
      killChild: (_, { slot, reason }) => void killed.push({ slot, reason }),
      noteStale: (_, { slot, event, expected }) => void stale.push({ slot, seq: event.seq, expected }),
      noteUnexpected: (_, { slot, type }) => void unexpected.push({ slot, type }),
      noteRestartLimited: (_, { slot, crashes }) => void limited.push({ slot, crashes }),
    },
  });
  const machine = supervisorMachine.provide({ actors: { slot } });
  const recorder = createTraceRecorder(
    (record) => records.push(record),
    () => clock.now(),
  );
  const actor = createActor(machine, {
    id: 'supervisor',
    clock,
    input: {
      slotTimeouts: { ...DEFAULT_SLOT_TIMEOUTS, ...timeouts },
      standby: options.standby ?? false,
      standbyDelayMs: options.standbyDelayMs ?? 0,
      now: () => clock.now(),
    },
    inspect: recorder,
  });
  actor.start();
  const slotRef = (n: number): ActorRefFrom<SlotMachine> => actor.system.get(slotActorId(n));
  let pid = 1000;
  return {
    actor,
    clock,
    sent,
    spawned,
    killed,
    stale,
    unexpected,
    limited,
    records,
    slot: slotRef,
    slotState: (n: number) => stateToString(slotRef(n).getSnapshot().value),
    state: () => stateToString(actor.getSnapshot().value),
    context: () => actor.getSnapshot().context,
    /** The last command sent to a slot. */
    last: (n: number) => [...sent].reverse().find((s) => s.slot === n)?.command,
    /** Both children up, v1 fetched by slot 0 and promoted: the service is serving. */
    serveFirstVersion() {
      this.bootSlot(0);
      this.bootSlot(1);
      actor.send({ type: 'VERSION_SEEN', version: 'v1', path: '/d/v1' });
      this.completeFetch(0);
      this.ackLast(0); // ANSWER
    },
    bootSlot(n: number) {
      slotRef(n).send({ type: 'SPAWNED', pid: ++pid });
      slotRef(n).send({ type: 'HELLO', pid });
    },
    /** Acks the last command to slot n and, for FETCH, reports it loaded. */
    completeFetch(n: number) {
      const command = [...sent].reverse().find((s) => s.slot === n && s.command.type === 'FETCH')!.command as Extract<
        CommandToSend,
        { type: 'FETCH' }
      >;
      slotRef(n).send({ type: 'ACK', seq: command.seq });
      slotRef(n).send({ type: 'FETCHED', seq: command.seq, version: command.version, count: 10, dims: 4, loadMs: 1 });
    },
    /** The whole swap: `to` finishes its FETCH and acks ANSWER, `from` acks DRAIN and drains. */
    swap(to: number, from: number) {
      this.completeFetch(to);
      this.ackLast(to);
      this.ackLast(from);
      slotRef(from).send({ type: 'DRAINED', seq: [...sent].reverse().find((s) => s.slot === from)!.command.seq });
    },
    ackLast(n: number) {
      const command = [...sent].reverse().find((s) => s.slot === n)!.command;
      slotRef(n).send({ type: 'ACK', seq: command.seq });
    },
  };
}
