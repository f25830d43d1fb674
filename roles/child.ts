// A child process. It plays whichever role its supervisor gives it: fetch (load a version and
// report it ready) or answer (serve queries). It holds at most one index version.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import pino from 'pino';
import { Dealer } from 'zeromq';
import { readChildConfig } from '../channel/child-config.js';
import type { ChildToSupervisor, LiveChangesReport, SupervisorToChild } from '../channel/protocol.js';
import { slotRoutingId } from '../channel/protocol.js';
import { SocketWriter } from '../channel/socket-writer.js';
import { answerBatch } from './answer.js';
import { createFetcher, type IndexSlot } from './fetch.js';
import { OrphanWatch } from './orphan-watch.js';

const config = readChildConfig(process.env);
const log = pino({ name: `slot-${config.slot}`, base: { pid: process.pid } });

const control = new Dealer({ routingId: slotRoutingId(config.slot), linger: 0, sendTimeout: config.sendTimeoutMs });
const queries = new Dealer({ routingId: slotRoutingId(config.slot), linger: 0, sendTimeout: config.sendTimeoutMs });
control.connect(config.controlEndpoint);
queries.connect(config.queryEndpoint);

const controlOut = new SocketWriter(control, (err) => log.error({ err }, 'control send failed'));
const queryOut = new SocketWriter(queries, (err) => log.error({ err }, 'query reply send failed'));

const index: IndexSlot = { held: null, live: null, vectorize: null };
const fetchVersion = createFetcher(
  config.fetchPolicy,
  config.verifiedDir,
  config.storePath,
  index,
  log,
  config.expectedDims,
  config.searchThreads,
);
let welcomed = false;
const orphanWatch = new OrphanWatch(config.heartbeatMs, config.orphanMs, Date.now());

function tell(message: ChildToSupervisor): void {
  controlOut.send([JSON.stringify(message)]);
}

let exiting = false;
/**
 * libzmq's context teardown at process exit can block forever when a peer vanished with messages
 * queued to it (zeromq/libzmq#2586), which would leave exactly the orphan invariant 5 forbids.
 * So: close the sockets, give the I/O thread a moment, exit; and when the supervisor is gone
 * (nobody reads our exit status) do not risk the teardown at all.
 */
function exit(code: number, reason: string, supervisorGone = false): void {
  if (exiting) return;
  exiting = true;
  log.info({ reason, code }, 'child exiting');
  index.live?.close();
  index.held?.close();
  controlOut.close();
  queryOut.close();
  control.close();
  queries.close();
  if (supervisorGone) process.kill(process.pid, 'SIGKILL');
  setTimeout(() => process.exit(code), 20);
}

// Invariant 5: no orphans. The supervisor holds our stdin; when it dies, for any reason, the
// pipe closes. The heartbeat check below covers a supervisor that is alive but wedged.
process.stdin.on('end', () => exit(0, 'supervisor gone (stdin closed)', true));
process.stdin.on('error', () => exit(0, 'supervisor gone (stdin error)', true));
process.stdin.resume();
// A stop signal sent to the whole process group (Ctrl-C in a terminal, `systemctl stop`, a
// benchmark's group kill) reaches us as well as the supervisor, which owns our shutdown: it drains
// queries first and then sends SHUTDOWN (or kills a child that has not finished its handshake).
// Exiting here would fail the queries it is still routing to us (measured: both children
// "crashed" at a group SIGTERM). If the supervisor dies instead, stdin closes and we exit (above).
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => log.info({ signal }, 'stop signal left to the supervisor, which sends SHUTDOWN'));
}

function liveReport(): { live?: LiveChangesReport } {
  const { held, live } = index;
  if (!held || !live) return {};
  return { live: { fromSeq: held.manifest.storeSeq ?? 0, appliedSeq: live.appliedSeq, changed: live.changed } };
}

const heartbeat = setInterval(() => {
  if (welcomed) tell({ type: 'HEARTBEAT', ...liveReport() });
  const silentMs = orphanWatch.tick(Date.now());
  if (silentMs !== null) exit(1, `no word from supervisor for ${silentMs} ms of running time`, true);
}, config.heartbeatMs);
heartbeat.unref();

// Between queries too (the spare never gets any): the catch-up a query would do stays small.
const followChanges = setInterval(() => {
  try {
    index.live?.catchUp();
  } catch (err) {
    log.warn({ err }, 'live profile changes unreadable; queries will retry elsewhere until they are');
  }
}, config.liveChangesPollMs);
followChanges.unref();

async function onCommand(message: SupervisorToChild): Promise<void> {
  switch (message.type) {
    case 'WELCOME':
      welcomed = true;
      return;
    case 'HEARTBEAT':
      return;
    case 'FETCH':
      tell({ type: 'ACK', seq: message.seq });
      // The load is one long native call: make sure the ACK has left before it blocks us.
      await controlOut.flushed();
      // Not awaited: the control loop goes on reading heartbeats while the checksum pass runs, or a
      // fetch longer than orphanMs (1M profiles on a busy machine) looked like a silent supervisor.
      fetchVersion(message).then(tell, (err) => exit(1, `fetch failed outside its own error handling: ${(err as Error).message}`));
      return;
    case 'ANSWER':
      tell({ type: 'ACK', seq: message.seq });
      return;
    case 'DRAIN':
      tell({ type: 'ACK', seq: message.seq });
      // Queries are answered synchronously per batch, so what is left in flight is what sits in
      // the reply queue: DRAINED goes out once that has been handed over.
      await queryOut.flushed();
      tell({ type: 'DRAINED', seq: message.seq });
      return;
    case 'SHUTDOWN':
      tell({ type: 'ACK', seq: message.seq });
      await controlOut.flushed();
      exit(0, 'SHUTDOWN');
  }
}

async function controlLoop(): Promise<void> {
  for await (const [frame] of control) {
    orphanWatch.heard(Date.now());
    let message: SupervisorToChild;
    try {
      message = JSON.parse(frame!.toString('utf8')) as SupervisorToChild;
    } catch {
      log.warn('ignored a control frame that is not JSON');
      continue;
    }
    if (!welcomed && message.type !== 'WELCOME') {
      log.warn({ type: message.type }, 'ignored a command before WELCOME');
      continue;
    }
    if (message.type === 'WELCOME' && message.session !== config.token) {
      exit(1, 'WELCOME from a different supervisor session');
      return;
    }
    await onCommand(message);
  }
}

async function queryLoop(): Promise<void> {
  for await (const [header, ...vectors] of queries) {
    queryOut.send(answerBatch(index, header!, vectors, log));
    // ZeroMQ hands over an already queued message without a trip through the event loop, so under
    // constant load this loop ran on microtasks alone, starved the heartbeat timer, and the
    // supervisor killed a busy child as hung (measured: 1,024-dim searches at 16 connections).
    await yieldToEventLoop();
  }
}

tell({ type: 'HELLO', slot: config.slot, pid: process.pid, token: config.token });
log.info({ slot: config.slot, control: config.controlEndpoint, searchThreads: config.searchThreads }, 'child started');
controlLoop().catch((err) => exit(1, `control loop failed: ${(err as Error).message}`));
queryLoop().catch((err) => exit(1, `query loop failed: ${(err as Error).message}`));
