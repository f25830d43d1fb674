// The main process's supervisor: gives the statecharts their hands. It provides the machines'
// named actions (spawn, send, kill), feeds process and channel events back in as machine events,
// and keeps the query router pointed at whoever the machine says answers.

import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { type Actor, type AnyActorRef, createActor } from 'xstate';
import { childEnv } from '../channel/child-config.js';
import type { ChildToSupervisor, LoadMode } from '../channel/protocol.js';
import { FETCH_NICENESS } from '../common/niceness.js';
import { DEFAULT_SLOT_TIMEOUTS, type SlotTimeouts, slotMachine } from '../statecharts/slot.js';
import { SLOT_COUNT, slotActorId, supervisorMachine } from '../statecharts/supervisor.js';
import { stateToString } from '../trace/trace-record.js';
import type { Tracer } from '../trace/tracer.js';
import { ControlChannel } from './control-channel.js';
import { type QueryCallback, QueryRouter, type RouteTarget } from './query-router.js';
import { spawnSlotProcess } from './slot-process.js';
import { watchLatestVersion } from './version-watcher.js';

export interface SupervisorOptions {
  dataDir: string;
  mode: LoadMode;
  log: Logger;
  tracer: Tracer;
  /** Where the children's own log lines go. */
  childLogs: Writable;
  slotTimeouts?: Partial<SlotTimeouts>;
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  queryTimeoutMs?: number;
  maxInFlight?: number;
  /** Queries per message to a child at most (see QueryRouterOptions.maxBatch). */
  maxBatch?: number;
  pollMs?: number;
  /** Keep the spare child loaded with the served version (default true)... */
  standby?: boolean;
  /** ...starting this long after the last swap (default 3000 ms), so not inside the swap window. */
  standbyDelayMs?: number;
  /** Priority of a fetch (default 19): its checksum helper, and the child's own session while it fetches; 0 hashes inside the fetching child. */
  fetchNiceness?: number;
  /** How fast a fetch's checksum pass may read, MB/s (roles/fetch/pace.ts); 0: unpaced. Default 250. */
  verifyMBps?: number;
  /** The program each child runs, per slot; a test may substitute a double. */
  childScript?: string | ((slot: number) => string);
}

export interface SlotStatus {
  slot: number;
  pid: number | null;
  role: 'answer' | 'fetch' | 'draining';
  state: string;
  version: string | null;
  restarts: number;
  lastFailure: string | null;
}

export interface SupervisorStatus {
  state: string;
  servingVersion: string | null;
  latestVersion: string | null;
  answerer: number | null;
  quarantined: string[];
  slots: SlotStatus[];
  queries: QueryRouter['stats'] & { inFlight: number };
  swaps: number;
}

// A ZeroMQ send that cannot complete within this (peer gone, or its queue full because it hangs)
// fails instead of blocking the socket's single writer.
const SEND_TIMEOUT_MS = 1000;
/**
 * How fast a fetch's checksum pass reads by default, MB/s: at 1M profiles (1.26 GB) unpaced
 * hashing raised the answerer's p99 to 1.6-1.8x while it ran, paced at 250 MB/s it did not
 * (bench/NOTES.md, fifth session); the fetch takes about 5 s instead of 2.
 */
export const DEFAULT_VERIFY_MBPS = 250;

const DEFAULT_CHILD_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'roles', 'child.js');

type SupervisorActor = Actor<typeof supervisorMachine>;

export class Supervisor {
  private readonly processes: (ChildProcess | null)[] = Array.from({ length: SLOT_COUNT }, () => null);
  private readonly lastHeard: number[] = Array.from({ length: SLOT_COUNT }, () => 0);
  private readonly welcomed: boolean[] = Array.from({ length: SLOT_COUNT }, () => false);
  private readonly restarts: number[] = Array.from({ length: SLOT_COUNT }, () => 0);
  private readonly token = randomBytes(24).toString('hex');
  private actor!: SupervisorActor;
  private control!: ControlChannel;
  private router!: QueryRouter;
  private stopWatching: () => void = () => {};
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private swaps = 0;
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly options: SupervisorOptions,
    /** Holds the ipc endpoints; mode 0700, removed on stop. */
    readonly runtimeDir: string,
  ) {}

  static async start(options: SupervisorOptions): Promise<Supervisor> {
    // ipc endpoints in a directory only we can enter (mkdtemp makes it 0700).
    const runtimeDir = await mkdtemp(path.join(os.tmpdir(), 'tandem-'));
    const supervisor = new Supervisor(options, runtimeDir);
    await supervisor.begin();
    return supervisor;
  }

  /** A rate too small to round to a byte per second is still a pace, not "unpaced" (0). */
  private get verifyBytesPerSecond(): number {
    const mbps = this.options.verifyMBps ?? DEFAULT_VERIFY_MBPS;
    return mbps > 0 ? Math.max(1, Math.round(mbps * 1e6)) : 0;
  }

  private get heartbeatMs(): number {
    return this.options.heartbeatMs ?? 500;
  }

  private get heartbeatTimeoutMs(): number {
    return this.options.heartbeatTimeoutMs ?? 2000;
  }

  private get controlEndpoint(): string {
    return `ipc://${this.runtimeDir}/control`;
  }

  private get queryEndpoint(): string {
    return `ipc://${this.runtimeDir}/query`;
  }

  private async begin(): Promise<void> {
    const { log } = this.options;
    this.control = new ControlChannel(this.controlEndpoint, (slot, message) => this.onChildMessage(slot, message), log, SEND_TIMEOUT_MS);
    this.router = new QueryRouter({
      endpoint: this.queryEndpoint,
      timeoutMs: this.options.queryTimeoutMs ?? 5000,
      maxInFlight: this.options.maxInFlight ?? 10_000,
      // Measured at c=64 on 10k profiles (wrk, alternating A/B): uncapped, all 64 requests could
      // ride in one batch and the two processes took turns idling; 8 per batch cost more in
      // messages than it gained in overlap; 24-32 were best and alike.
      maxBatch: this.options.maxBatch ?? 32,
      sendTimeoutMs: SEND_TIMEOUT_MS,
      suspectMs: 2 * this.heartbeatTimeoutMs,
      log,
    });
    await this.control.bind();
    await this.router.bind();

    const slot = slotMachine.provide({
      actions: {
        spawnChild: (_, { slot }) => this.spawnChild(slot),
        welcomeChild: (_, { slot }) => {
          this.welcomed[slot] = true;
          this.lastHeard[slot] = Date.now();
          this.control.send(slot, { type: 'WELCOME', session: this.token });
        },
        sendCommand: (_, { slot, command }) => {
          this.control.send(slot, command.type === 'FETCH' ? { ...command, mode: this.options.mode } : command);
        },
        killChild: (_, { slot, reason }) => this.killChild(slot, reason),
        noteStale: (_, { slot, event, expected }) =>
          log.warn({ slot, type: event.type, seq: event.seq, expected }, 'ignored a reply for an old command'),
        noteRestartLimited: (_, { slot, crashes, windowMs, retryMs }) =>
          log.error({ slot, crashes, windowMs, retryMs }, 'restart intensity exceeded: this child now restarts only slowly'),
      },
    });
    const machine = supervisorMachine.provide({
      actors: { slot },
      actions: {
        noteQuarantined: (_, { version, error }) =>
          log.error({ version, error }, 'version quarantined: its fetch failed, it will not be retried'),
        noteDegraded: (_, { reason }) => log.error({ reason }, 'degraded: no child can answer; recovering'),
      },
    });
    this.actor = createActor(machine, {
      id: 'supervisor',
      input: {
        slotTimeouts: { ...DEFAULT_SLOT_TIMEOUTS, ...this.options.slotTimeouts },
        standby: this.options.standby ?? true,
        standbyDelayMs: this.options.standbyDelayMs ?? 3000,
        now: Date.now,
      },
      inspect: this.options.tracer.inspect,
    });
    let lastAnswerer: number | null = null;
    this.actor.subscribe({
      next: (snapshot) => {
        const { answerer, servingVersion } = snapshot.context;
        this.router.setTarget(this.routeFor(snapshot));
        if (answerer !== null && answerer !== lastAnswerer) {
          if (lastAnswerer !== null) this.swaps++;
          log.info({ answerer, version: servingVersion, previous: lastAnswerer }, lastAnswerer === null ? 'now serving' : 'roles swapped');
        }
        lastAnswerer = answerer;
      },
      error: (err) => log.fatal({ err }, 'supervisor machine failed'),
    });
    this.actor.start();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.heartbeatMs);
    this.heartbeatTimer.unref();
    this.stopWatching = watchLatestVersion(
      this.options.dataDir,
      this.options.pollMs ?? 250,
      (version, versionPath) => this.actor.send({ type: 'VERSION_SEEN', version, path: versionPath }),
      log,
    );
  }

  private routeFor(snapshot: ReturnType<SupervisorActor['getSnapshot']>): RouteTarget {
    const { answerer } = snapshot.context;
    if (answerer !== null) return { kind: 'slot', slot: answerer };
    // A child with an index is being promoted: hold queries for it rather than fail them.
    if (snapshot.matches('promoting')) return { kind: 'wait' };
    return { kind: 'none' };
  }

  private slotRef(slot: number): AnyActorRef | undefined {
    return this.actor.system.get(slotActorId(slot)) as AnyActorRef | undefined;
  }

  private spawnChild(slot: number): void {
    this.welcomed[slot] = false;
    const child = spawnSlotProcess({
      script: this.childScriptFor(slot),
      env: childEnv({
        slot,
        controlEndpoint: this.controlEndpoint,
        queryEndpoint: this.queryEndpoint,
        token: this.token,
        heartbeatMs: this.heartbeatMs,
        orphanMs: Math.max(5000, 4 * this.heartbeatTimeoutMs),
        sendTimeoutMs: SEND_TIMEOUT_MS,
        fetchNiceness: this.options.fetchNiceness ?? FETCH_NICENESS,
        verifyBytesPerSecond: this.verifyBytesPerSecond,
        // Inside the 0700 runtime folder: a record there is trusted, so nobody else may write one.
        verifiedDir: path.join(this.runtimeDir, 'verified'),
      }),
      logs: this.options.childLogs,
      onSpawned: (pid) => this.slotRef(slot)?.send({ type: 'SPAWNED', pid }),
      onExit: (code, signal) => {
        // Only the current process of a slot speaks for it; an old one's exit is history.
        if (this.processes[slot] !== child) return;
        this.processes[slot] = null;
        this.welcomed[slot] = false;
        // Exits we asked for (shutdown) are routine; any other exit is a fault worth a warning.
        const level = this.stopping === null ? 'warn' : 'info';
        this.options.log[level]({ slot, pid: child.pid, code, signal }, 'child exited');
        this.router.slotFailed(slot);
        this.slotRef(slot)?.send({ type: 'EXITED', code, signal });
      },
    });
    this.processes[slot] = child;
  }

  private childScriptFor(slot: number): string {
    const { childScript } = this.options;
    if (typeof childScript === 'function') return childScript(slot);
    return childScript ?? DEFAULT_CHILD_SCRIPT;
  }

  private killChild(slot: number, reason: string): void {
    const child = this.processes[slot];
    this.welcomed[slot] = false;
    this.router.slotFailed(slot);
    if (this.stopping === null) this.restarts[slot]!++;
    this.options.log.error({ slot, pid: child?.pid, reason }, 'killing child');
    child?.kill('SIGKILL');
  }

  private onChildMessage(slot: number, message: ChildToSupervisor): void {
    this.lastHeard[slot] = Date.now();
    const ref = this.slotRef(slot);
    switch (message.type) {
      case 'HEARTBEAT':
        return;
      case 'HELLO':
        if (message.token !== this.token || message.pid !== this.processes[slot]?.pid) {
          this.options.log.warn({ slot, pid: message.pid }, 'rejected a HELLO that is not from our child');
          return;
        }
        ref?.send({ type: 'HELLO', pid: message.pid });
        return;
      default:
        ref?.send(message);
    }
  }

  private heartbeat(): void {
    const now = Date.now();
    const timeoutMs = this.heartbeatTimeoutMs;
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      if (!this.welcomed[slot]) continue;
      this.control.send(slot, { type: 'HEARTBEAT' });
      const silentMs = now - this.lastHeard[slot]!;
      if (silentMs > timeoutMs) {
        this.lastHeard[slot] = now;
        this.slotRef(slot)?.send({ type: 'HEARTBEAT_LOST', silentMs });
      }
    }
  }

  recommend(id: string, n: number, done: QueryCallback): void {
    this.router.recommend(id, n, done);
  }

  search(vector: Float32Array, n: number, done: QueryCallback): void {
    this.router.search(vector, n, done);
  }

  get ready(): boolean {
    return this.actor.getSnapshot().context.answerer !== null;
  }

  status(): SupervisorStatus {
    const snapshot = this.actor.getSnapshot();
    const { context } = snapshot;
    const slots: SlotStatus[] = [];
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const slotSnapshot = this.slotRef(slot)?.getSnapshot() as
        | { value: unknown; context: { pid: number | null; version: string | null; lastFailure: string | null } }
        | undefined;
      slots.push({
        slot,
        pid: slotSnapshot?.context.pid ?? null,
        role: slot === context.answerer ? 'answer' : slot === context.retiring ? 'draining' : 'fetch',
        state: slotSnapshot ? stateToString(slotSnapshot.value) : 'stopped',
        version: slotSnapshot?.context.version ?? null,
        restarts: this.restarts[slot]!,
        lastFailure: slotSnapshot?.context.lastFailure ?? null,
      });
    }
    return {
      state: stateToString(snapshot.value),
      servingVersion: context.servingVersion,
      latestVersion: context.latestSeen?.version ?? null,
      answerer: context.answerer,
      quarantined: context.quarantined,
      slots,
      queries: { ...this.router.stats, inFlight: this.router.inFlight },
      swaps: this.swaps,
    };
  }

  /** SHUTDOWN to both children (acked, bounded by the slot timeouts), then close everything. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopWatching();
    clearInterval(this.heartbeatTimer);
    const timeouts = { ...DEFAULT_SLOT_TIMEOUTS, ...this.options.slotTimeouts };
    const stopped = new Promise<void>((resolve) => {
      const subscription = this.actor.subscribe((snapshot) => {
        if (snapshot.status === 'done') {
          subscription.unsubscribe();
          resolve();
        }
      });
      if (this.actor.getSnapshot().status === 'done') resolve();
    });
    this.actor.send({ type: 'SHUTDOWN' });
    // The machine's own timeouts bound this; the race is a second guard against a bug there.
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, timeouts.shutdownMs + timeouts.killMs + 1000))]);
    for (const child of this.processes) child?.kill('SIGKILL');
    this.actor.stop();
    this.router.close();
    this.control.close();
    this.options.tracer.flush();
    await rm(this.runtimeDir, { recursive: true, force: true });
  }
}
