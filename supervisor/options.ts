// What the supervisor can be told, its defaults in one table, and what it reports in /status.
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { FetchPolicy } from '../channel/fetch-policy.js';
import type { LiveChangesReport, LoadMode } from '../channel/protocol.js';
import type { SlotTimeouts } from '../statecharts/slot.js';
import type { Tracer } from '../trace/tracer.js';
import type { QueryRouter } from './query-router.js';

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
  /** How long a query waits when no child answers but one is loading or being promoted (then 503). */
  maxHoldMs?: number;
  maxInFlight?: number;
  /** Queries per message to a child at most (see QueryRouterOptions.maxBatch). */
  maxBatch?: number;
  pollMs?: number;
  /** Keep the spare child loaded with the served version... */
  standby?: boolean;
  /** ...starting this long after the last swap, so not inside the swap window. */
  standbyDelayMs?: number;
  /** The spare shares the queries while it holds the served version in standby (statecharts/routing.ts). */
  spareAnswers?: boolean;
  /** Threads each child's batch search may use; default channel/defaults.ts searchThreadsFor. */
  searchThreads?: number;
  /** How children fetch; each field left out is DEFAULT_FETCH_POLICY's. */
  fetchPolicy?: Partial<FetchPolicy>;
  /** The program each child runs, per slot; a test may substitute a double. */
  childScript?: string | ((slot: number) => string);
  /**
   * The profile store the children read live changes from, and its change seq now: every query
   * carries it, so no answer misses a write acknowledged before the query was sent.
   */
  liveChanges?: { storePath: string; currentSeq: () => number };
  /**
   * The vector size the service takes (its --dims, what the write API checks): a version of another
   * size is refused by the children as WRONG_DIMENSIONS, so quarantined, never served.
   */
  expectedDims?: number;
}

export const SUPERVISOR_DEFAULTS = {
  queryTimeoutMs: 5000,
  maxHoldMs: 1000,
  maxInFlight: 10_000,
  // 24-32 per batch measured best at c=64 (BENCHMARKS.md): fewer cost messages, more idle turns.
  maxBatch: 32,
  pollMs: 250,
  standby: true,
  // Keeps the previous version on the spare a while after a swap, so a cursor issued before the
  // swap still gets its next page; for tail latency it bought nothing (BENCHMARKS.md, section 4).
  standbyDelayMs: 3000,
  // Off: on this 2-core machine both children searching at once gave no more throughput at 1M
  // profiles and cost more CPU per request and a higher p99 (README, "The spare answers too").
  spareAnswers: false,
} as const;

export interface SlotStatus {
  slot: number;
  pid: number | null;
  role: 'answer' | 'share' | 'fetch' | 'draining';
  state: string;
  version: string | null;
  restarts: number;
  lastFailure: string | null;
  /** Its delta: the store changes since its version that it serves from memory (heartbeat-fresh). */
  liveChanges: LiveChangesReport | null;
  /** Queries it answered since the service started (the spare answers too while it shares the load). */
  answered: number;
}

export interface Freshness {
  /** The store's change seq now. */
  storeSeq: number;
  /** The seq the answering child's version was built from (null: none answering, or built from a file). */
  servedVersionSeq: number | null;
  /** Ids changed or deleted since its version that the answering child serves from memory. */
  answererDelta: number | null;
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
  /** Present with a profile store. */
  freshness?: Freshness;
}
