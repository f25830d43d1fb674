// One child slot as the supervisor process sees it: the process that fills it now and what the
// supervisor last heard of it. The slot machine (statecharts/slot.ts) holds the slot's state.
import type { ChildProcess } from 'node:child_process';
import type { LiveChangesReport } from '../channel/protocol.js';

export class SlotHandle {
  /** The slot's current process; an older one's exit is history and is ignored. */
  process: ChildProcess | null = null;
  /** When the child last said anything on the control channel (Date.now()). */
  lastHeard = 0;
  /** Welcomed after a HELLO with the run's token; only then does it get heartbeats. */
  welcomed = false;
  /** Times the supervisor killed it outside shutdown. */
  restarts = 0;
  /** The child's delta as of its last heartbeat; null without a store or a version. */
  live: LiveChangesReport | null = null;

  constructor(readonly slot: number) {}

  /** A process started: nothing is welcomed until it proves itself. */
  filledBy(child: ChildProcess): void {
    this.process = child;
    this.welcomed = false;
    this.live = null;
  }

  welcome(now: number): void {
    this.welcomed = true;
    this.lastHeard = now;
  }

  /** The slot's process exited or is being killed: it gets nothing more. */
  emptied(): void {
    this.process = null;
    this.welcomed = false;
  }

  isCurrent(child: ChildProcess): boolean {
    return this.process === child;
  }
}
