// The main process's supervisor: gives the statecharts their hands. It provides the machines'
// named actions (spawn, send, kill) through the children (child-processes.ts), which feed process
// and channel events back in, and hands every snapshot to the query router (statecharts/routing.ts).
import { rm } from 'node:fs/promises';
import { type Actor, createActor } from 'xstate';
import { CHANNEL_DEFAULTS, searchThreadsFor } from '../channel/defaults.js';
import { QuerySeconds } from '../inspect/query-seconds.js';
import { pageTarget, routeFor } from '../statecharts/routing.js';
import { DEFAULT_SLOT_TIMEOUTS, type SlotRef, type SlotTimeouts, slotMachine } from '../statecharts/slot.js';
import { SLOT_COUNT, slotActorId, supervisorMachine } from '../statecharts/supervisor.js';
import { stateToString } from '../trace/trace-record.js';
import { ChildProcesses } from './child-processes.js';
import { ControlChannel } from './control-channel.js';
import { SUPERVISOR_DEFAULTS, type SupervisorOptions, type SupervisorStatus } from './options.js';
import { type QueryCallback, QueryRouter, type QuerySpec } from './query-router.js';
import { createRuntimeDir, removeStaleRuntimeDirs } from './runtime-dir.js';
import { statusOf } from './status.js';
import { watchLatestVersion } from './version-watcher.js';

export type { SlotStatus, SupervisorOptions, SupervisorStatus } from './options.js';

type SupervisorActor = Actor<typeof supervisorMachine>;
export class Supervisor {
  private readonly slotTimeouts: SlotTimeouts;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly spareAnswers: boolean;
  private readonly control: ControlChannel;
  private readonly children: ChildProcesses;
  private readonly router: QueryRouter;
  /** Query rate and latency per second, for the /inspect chart. */
  readonly querySeconds = new QuerySeconds();
  private actor!: SupervisorActor;
  private stopWatching: () => void = () => {};
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private swaps = 0;
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly options: SupervisorOptions,
    /** Holds the ipc endpoints; mode 0700, removed on stop. */
    readonly runtimeDir: string,
  ) {
    this.slotTimeouts = { ...DEFAULT_SLOT_TIMEOUTS, ...options.slotTimeouts };
    this.heartbeatMs = options.heartbeatMs ?? CHANNEL_DEFAULTS.heartbeatMs;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? CHANNEL_DEFAULTS.heartbeatTimeoutMs;
    this.spareAnswers = options.spareAnswers ?? SUPERVISOR_DEFAULTS.spareAnswers;
    const { log } = options;
    this.control = new ControlChannel(
      this.controlEndpoint,
      (slot, message) => this.children.onMessage(slot, message),
      log,
      CHANNEL_DEFAULTS.sendTimeoutMs,
    );
    this.children = new ChildProcesses({
      supervisor: options,
      runtimeDir,
      controlEndpoint: this.controlEndpoint,
      queryEndpoint: this.queryEndpoint,
      control: this.control,
      heartbeatMs: this.heartbeatMs,
      heartbeatTimeoutMs: this.heartbeatTimeoutMs,
      searchThreads: options.searchThreads ?? searchThreadsFor(this.spareAnswers ? SLOT_COUNT : 1),
      slotRef: (slot) => this.slotRef(slot),
      slotFailed: (slot) => this.router.slotFailed(slot),
      stopping: () => this.stopping !== null,
    });
    this.router = new QueryRouter({
      endpoint: this.queryEndpoint,
      timeoutMs: options.queryTimeoutMs ?? SUPERVISOR_DEFAULTS.queryTimeoutMs,
      maxHoldMs: options.maxHoldMs ?? SUPERVISOR_DEFAULTS.maxHoldMs,
      onHoldExpired: (count) =>
        options.tracer.record({
          ts: new Date().toISOString(),
          actor: 'router',
          event: 'HOLD_EXPIRED',
          from: 'waiting',
          to: 'failed',
          detail: `${count} queries waited ${options.maxHoldMs ?? SUPERVISOR_DEFAULTS.maxHoldMs} ms for an answerer: 503`,
        }),
      pageSlot: (version) => this.pageSlot(version),
      onSettled: (ms, ok) => this.querySeconds.record(ms, ok),
      maxInFlight: options.maxInFlight ?? SUPERVISOR_DEFAULTS.maxInFlight,
      maxBatch: options.maxBatch ?? SUPERVISOR_DEFAULTS.maxBatch,
      sendTimeoutMs: CHANNEL_DEFAULTS.sendTimeoutMs,
      suspectMs: 2 * this.heartbeatTimeoutMs,
      ...(options.liveChanges ? { currentSeq: options.liveChanges.currentSeq } : {}),
      log,
    });
  }

  static async start(options: SupervisorOptions): Promise<Supervisor> {
    // ipc endpoints in a directory only we can enter (mkdtemp makes it 0700).
    const stale = await removeStaleRuntimeDirs().catch(() => []);
    if (stale.length > 0) options.log.info({ removed: stale }, 'removed runtime folders of supervisors that are gone');
    const runtimeDir = await createRuntimeDir();
    const supervisor = new Supervisor(options, runtimeDir);
    await supervisor.begin();
    return supervisor;
  }

  /** Each slot machine's state, for the router's choice between waiting and failing fast. */
  private slotStates(): string[] {
    return Array.from({ length: SLOT_COUNT }, (_, slot) => {
      const snapshot = this.slotRef(slot)?.getSnapshot();
      return snapshot ? stateToString(snapshot.value) : 'stopped';
    });
  }

  private get controlEndpoint(): string {
    return `ipc://${this.runtimeDir}/control`;
  }

  private get queryEndpoint(): string {
    return `ipc://${this.runtimeDir}/query`;
  }

  private async begin(): Promise<void> {
    const { log } = this.options;
    await this.control.bind();
    await this.router.bind();
    const slot = slotMachine.provide({
      actions: {
        spawnChild: (_, { slot }) => this.children.spawn(slot),
        welcomeChild: (_, { slot }) => this.children.welcome(slot),
        sendCommand: (_, { slot, command }) => {
          this.control.send(slot, command.type === 'FETCH' ? { ...command, mode: this.options.mode } : command);
        },
        killChild: (_, { slot, reason }) => this.children.kill(slot, reason),
        noteStale: (_, { slot, event, expected }) =>
          log.warn(
            { slot, type: event.type, seq: event.seq, expected },
            event.seq === expected ? 'ignored a reply that came after its command had timed out' : 'ignored a reply for an old command',
          ),
        noteUnexpected: (_, { slot, type }) =>
          log.warn(
            { slot, type, state: stateToString(this.slotRef(slot)?.getSnapshot().value) },
            'ignored a child message that does not fit the slot state',
          ),
        noteRestartLimited: (_, { slot, crashes, windowMs, retryMs }) =>
          log.error({ slot, crashes, windowMs, retryMs }, 'restart intensity exceeded: this child now restarts only slowly'),
      },
    });
    const machine = supervisorMachine.provide({
      actors: { slot },
      actions: {
        noteFetchFailure: (_, { version, error, quarantined, retry }) => {
          if (quarantined) {
            log.error({ version, error }, 'version quarantined: its fetch failed on its merits, it will not be retried');
            // Its own record: the transition that follows shows the failed fetch, not the verdict.
            this.options.tracer.record({
              ts: new Date().toISOString(),
              actor: 'versions',
              event: 'QUARANTINED',
              from: 'seen',
              to: 'quarantined',
              version,
              detail: `error=${error}`,
            });
          } else
            log.warn(
              { version, error, failures: retry?.failures, retryAt: retry?.retryAt },
              'fetch failed for a passing reason: retrying after a backoff',
            );
        },
        noteDegraded: (_, { reason }) => log.error({ reason }, 'degraded: no child can answer; recovering'),
      },
    });
    this.actor = createActor(machine, {
      id: 'supervisor',
      input: {
        slotTimeouts: this.slotTimeouts,
        standby: this.options.standby ?? SUPERVISOR_DEFAULTS.standby,
        standbyDelayMs: this.options.standbyDelayMs ?? SUPERVISOR_DEFAULTS.standbyDelayMs,
        now: Date.now,
      },
      inspect: this.options.tracer.inspect,
    });
    let lastAnswerer: number | null = null;
    this.actor.subscribe({
      next: (snapshot) => {
        this.router.setTarget(routeFor(snapshot, this.slotStates(), this.spareAnswers));
        const { answerer, servingVersion } = snapshot.context;
        if (answerer !== null && answerer !== lastAnswerer) {
          if (lastAnswerer !== null) this.swaps++;
          log.info({ answerer, version: servingVersion, previous: lastAnswerer }, lastAnswerer === null ? 'now serving' : 'roles swapped');
        }
        lastAnswerer = answerer;
      },
      error: (err) => log.fatal({ err }, 'supervisor machine failed'),
    });
    this.actor.start();
    this.heartbeatTimer = setInterval(() => this.children.heartbeat(), this.heartbeatMs);
    this.heartbeatTimer.unref();
    this.stopWatching = watchLatestVersion(
      this.options.dataDir,
      this.options.pollMs ?? SUPERVISOR_DEFAULTS.pollMs,
      (version, versionPath) => this.actor.send({ type: 'VERSION_SEEN', version, path: versionPath }),
      log,
    );
  }

  private slotRef(slot: number): SlotRef | undefined {
    return this.actor.system.get(slotActorId(slot));
  }

  recommend(id: string, n: number, done: QueryCallback): void {
    this.router.recommend(id, n, done);
  }

  search(vector: Float32Array, n: number, done: QueryCallback): void {
    this.router.search(vector, n, done);
  }

  query(spec: QuerySpec, done: QueryCallback): void {
    this.router.query(spec, done);
  }

  private pageSlot(version: string): number | 'answerer' | null {
    const states = this.slotStates();
    const slots = states.map((state, slot) => ({ version: this.slotRef(slot)?.getSnapshot().context.version ?? null, state }));
    return pageTarget(version, this.actor.getSnapshot().context.answerer, slots);
  }

  get ready(): boolean {
    return this.actor.getSnapshot().context.answerer !== null;
  }

  status(): SupervisorStatus {
    const slots = this.children.handles.map((handle) => ({ handle, snapshot: this.slotRef(handle.slot)?.getSnapshot() }));
    let storeSeq: number | null = null;
    try {
      storeSeq = this.options.liveChanges?.currentSeq() ?? null;
    } catch (err) {
      this.options.log.warn({ err }, 'store change seq unreadable for /status');
    }
    return statusOf(
      this.actor.getSnapshot(),
      slots,
      { ...this.router.stats, inFlight: this.router.inFlight },
      this.swaps,
      storeSeq,
      this.router.answeredBySlot,
      this.router.sharingSlot,
    );
  }

  /** SHUTDOWN to both children (acked, bounded by the slot timeouts), then close everything. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopWatching();
    clearInterval(this.heartbeatTimer);
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
    const { shutdownMs, killMs } = this.slotTimeouts;
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, shutdownMs + killMs + 1000))]);
    for (const handle of this.children.handles) handle.process?.kill('SIGKILL');
    this.actor.stop();
    this.router.close();
    this.control.close();
    this.options.tracer.flush();
    await rm(this.runtimeDir, { recursive: true, force: true });
  }
}
