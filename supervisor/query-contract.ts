// The query router's contract with its callers, apart from the mechanism behind it: what a query
// is asked as and answered with, and what the router is told, readable without its sockets and timers.
import type { Logger } from 'pino';
import type { QueryErrorCode } from '../channel/errors.js';
import type { PageMark, Query } from '../channel/query-batch.js';

/** An answer names the version and store seq that gave it, and where a next page starts. */
export type QueryOutcome =
  | { ok: true; body: Buffer; version?: string; seq?: number; next?: PageMark }
  | { ok: false; code: QueryErrorCode; body: Buffer | null };

/** A query as the API asks it: everything but the router's own number and vector frame. */
export type QuerySpec = DistributiveOmit<Query, 'q' | 'v'> & { vector?: Float32Array };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type QueryCallback = (outcome: QueryOutcome) => void;

export interface QueryRouterOptions {
  endpoint: string;
  timeoutMs: number;
  /** A query held for an answerer (one loading or being promoted) fails with NO_ANSWERER after this long. */
  maxHoldMs: number;
  maxInFlight: number;
  /**
   * A batch this full is sent at once instead of at the end of the tick, so the child starts
   * searching while the rest of the tick's requests are still being parsed.
   */
  maxBatch: number;
  sendTimeoutMs: number;
  /** How long a slot a send failed to reach gets no queries unless the supervisor decides first. */
  suspectMs: number;
  /** The profile store's change seq, sent with every batch (roles/answer.ts catches up to it). */
  currentSeq?: () => number;
  /** Which slot holds a later page's version (statecharts/routing.ts pageTarget). */
  pageSlot?: (version: string) => number | 'answerer' | null;
  /** Held queries that waited maxHoldMs for an answerer in vain, for the trace. */
  onHoldExpired?: (count: number) => void;
  /** Every query's outcome, refused ones included: its latency in ms and whether it was answered. */
  onSettled?: (ms: number, ok: boolean) => void;
  log: Logger;
}
