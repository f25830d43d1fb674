// What a slot machine tells the supervisor machine. Kept apart so neither machine file imports
// the other's internals.
import type { FetchErrorCode } from '../channel/errors.js';

export type SlotToSupervisorEvent =
  | { type: 'SLOT_IDLE'; slot: number; version: string | null }
  | { type: 'SLOT_FETCHED'; slot: number; version: string }
  | { type: 'SLOT_FETCH_FAILED'; slot: number; version: string; error: string; code: FetchErrorCode }
  | { type: 'SLOT_ANSWERING'; slot: number; version: string }
  | { type: 'SLOT_DRAINED'; slot: number }
  | { type: 'SLOT_CRASHED'; slot: number; reason: string }
  | { type: 'SLOT_STOPPED'; slot: number };
