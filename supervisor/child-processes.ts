// The children as processes: each slot's process started with its config, killed, heard on the
// control channel and watched by heartbeats. The slot machines decide when; this does it.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../channel/child-config.js';
import { CHANNEL_DEFAULTS, orphanMsFor } from '../channel/defaults.js';
import { DEFAULT_FETCH_POLICY, type FetchPolicy } from '../channel/fetch-policy.js';
import type { ChildToSupervisor } from '../channel/protocol.js';
import type { SlotRef } from '../statecharts/slot.js';
import { SLOT_COUNT } from '../statecharts/supervisor.js';
import type { ControlChannel } from './control-channel.js';
import type { SupervisorOptions } from './options.js';
import { SlotHandle } from './slot-handle.js';
import { spawnSlotProcess } from './slot-process.js';

const DEFAULT_CHILD_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'roles', 'child.js');

export interface ChildProcessesOptions {
  supervisor: SupervisorOptions;
  /** The supervisor's 0700 runtime folder. */
  runtimeDir: string;
  controlEndpoint: string;
  queryEndpoint: string;
  control: ControlChannel;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  searchThreads: number;
  /** The slot's machine, which hears of every process and channel event. */
  slotRef: (slot: number) => SlotRef | undefined;
  /** The slot's process is gone or being killed: what it had in flight is lost to it. */
  slotFailed: (slot: number) => void;
  /** Whether the supervisor is shutting down, when exits are routine. */
  stopping: () => boolean;
}

export class ChildProcesses {
  readonly handles = Array.from({ length: SLOT_COUNT }, (_, slot) => new SlotHandle(slot));
  private readonly token = randomBytes(24).toString('hex');
  private readonly fetchPolicy: FetchPolicy;

  constructor(private readonly options: ChildProcessesOptions) {
    this.fetchPolicy = { ...DEFAULT_FETCH_POLICY, ...options.supervisor.fetchPolicy };
  }

  spawn(slot: number): void {
    const { supervisor } = this.options;
    const handle = this.handles[slot]!;
    const child = spawnSlotProcess({
      script: this.childScriptFor(slot),
      env: childEnv({
        slot,
        controlEndpoint: this.options.controlEndpoint,
        queryEndpoint: this.options.queryEndpoint,
        token: this.token,
        heartbeatMs: this.options.heartbeatMs,
        orphanMs: orphanMsFor(this.options.heartbeatTimeoutMs),
        sendTimeoutMs: CHANNEL_DEFAULTS.sendTimeoutMs,
        fetchPolicy: this.fetchPolicy,
        // Inside the 0700 runtime folder: a record there is trusted, so nobody else may write one.
        verifiedDir: path.join(this.options.runtimeDir, 'verified'),
        ...(supervisor.liveChanges ? { storePath: supervisor.liveChanges.storePath } : {}),
        liveChangesPollMs: CHANNEL_DEFAULTS.liveChangesPollMs,
        ...(supervisor.expectedDims !== undefined ? { expectedDims: supervisor.expectedDims } : {}),
        searchThreads: this.options.searchThreads,
      }),
      logs: supervisor.childLogs,
      onSpawned: (pid) => this.options.slotRef(slot)?.send({ type: 'SPAWNED', pid }),
      onExit: (code, signal) => {
        if (!handle.isCurrent(child)) return;
        handle.emptied();
        // Exits we asked for (shutdown) are routine; any other exit is a fault worth a warning.
        const level = this.options.stopping() ? 'info' : 'warn';
        supervisor.log[level]({ slot, pid: child.pid, code, signal }, 'child exited');
        this.options.slotFailed(slot);
        this.options.slotRef(slot)?.send({ type: 'EXITED', code, signal });
      },
    });
    handle.filledBy(child);
  }

  welcome(slot: number): void {
    this.handles[slot]!.welcome(Date.now());
    this.options.control.send(slot, { type: 'WELCOME', session: this.token });
  }

  kill(slot: number, reason: string): void {
    const handle = this.handles[slot]!;
    const child = handle.process;
    handle.welcomed = false;
    this.options.slotFailed(slot);
    if (!this.options.stopping()) handle.restarts++;
    this.options.supervisor.log.error({ slot, pid: child?.pid, reason }, 'killing child');
    child?.kill('SIGKILL');
  }

  onMessage(slot: number, message: ChildToSupervisor): void {
    const handle = this.handles[slot];
    if (!handle) return;
    handle.lastHeard = Date.now();
    const ref = this.options.slotRef(slot);
    switch (message.type) {
      case 'HEARTBEAT':
        handle.live = message.live ?? null;
        return;
      case 'HELLO':
        if (message.token !== this.token || message.pid !== handle.process?.pid) {
          this.options.supervisor.log.warn({ slot, pid: message.pid }, 'rejected a HELLO that is not from our child');
          return;
        }
        ref?.send({ type: 'HELLO', pid: message.pid });
        return;
      default:
        ref?.send(message);
    }
  }

  heartbeat(): void {
    const now = Date.now();
    for (const handle of this.handles) {
      if (!handle.welcomed) continue;
      this.options.control.send(handle.slot, { type: 'HEARTBEAT' });
      const silentMs = now - handle.lastHeard;
      if (silentMs > this.options.heartbeatTimeoutMs) {
        handle.lastHeard = now;
        this.options.slotRef(handle.slot)?.send({ type: 'HEARTBEAT_LOST', silentMs });
      }
    }
  }

  private childScriptFor(slot: number): string {
    const { childScript } = this.options.supervisor;
    if (typeof childScript === 'function') return childScript(slot);
    return childScript ?? DEFAULT_CHILD_SCRIPT;
  }
}
