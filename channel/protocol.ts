// Messages between the supervisor (main process) and its two children. The control channel
// carries one JSON frame per message; the query channel carries batches (see query-batch.ts).

import type { FetchErrorCode } from './errors.js';

export type LoadMode = 'load' | 'view';

export type SupervisorToChild =
  | { type: 'WELCOME'; session: string }
  | { type: 'FETCH'; seq: number; version: string; path: string; mode: LoadMode }
  | { type: 'ANSWER'; seq: number; version: string }
  | { type: 'DRAIN'; seq: number }
  | { type: 'SHUTDOWN'; seq: number }
  | { type: 'HEARTBEAT' };

export type ChildToSupervisor =
  | { type: 'HELLO'; slot: number; pid: number; token: string }
  | { type: 'ACK'; seq: number }
  | { type: 'FETCHED'; seq: number; version: string; count: number; dims: number; loadMs: number }
  | { type: 'FETCH_FAILED'; seq: number; version: string; error: string; code: FetchErrorCode }
  | { type: 'DRAINED'; seq: number }
  | { type: 'HEARTBEAT'; live?: LiveChangesReport };

/** A child's delta, as its heartbeat reports it for /status. */
export interface LiveChangesReport {
  /** The store seq its version was built from. */
  fromSeq: number;
  /** Every change up to this seq is applied. */
  appliedSeq: number;
  /** Ids changed or deleted since its version. */
  changed: number;
}

export type FetchCommand = Extract<SupervisorToChild, { type: 'FETCH' }>;

export function slotRoutingId(slot: number): string {
  return `slot-${slot}`;
}

export function slotFromRoutingId(id: string): number | null {
  const match = /^slot-(\d)$/.exec(id);
  return match ? Number(match[1]) : null;
}

const CHILD_MESSAGE_TYPES = new Set(['HELLO', 'ACK', 'FETCHED', 'FETCH_FAILED', 'DRAINED', 'HEARTBEAT']);

/** Parses a control frame from a child; null for anything that is not a well-formed message. */
export function parseChildMessage(frame: Buffer): ChildToSupervisor | null {
  let message: unknown;
  try {
    message = JSON.parse(frame.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof message !== 'object' || message === null) return null;
  const { type, seq } = message as { type?: unknown; seq?: unknown };
  if (typeof type !== 'string' || !CHILD_MESSAGE_TYPES.has(type)) return null;
  if (type !== 'HELLO' && type !== 'HEARTBEAT' && !Number.isSafeInteger(seq)) return null;
  return message as ChildToSupervisor;
}
