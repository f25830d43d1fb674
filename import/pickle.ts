// Reads the original Python service's pickle files into plain JS values without executing anything:
// every global is looked up in an allowlist of data-only reconstructors, every length is bounded.
import { Machine } from './machine.js';
import { scanFetchedMemo } from './scan.js';
import type { PickleValue } from './values.js';

export { PICKLE_ALLOWLIST } from './allowlist.js';
export { PICKLE_ERROR_CODES, PickleError, type PickleErrorCode, PickleRefusedError } from './errors.js';
export type { PickleValue } from './values.js';

/**
 * The value of a whole pickle (protocols 2 to 5). Python values map to: None -> null, bool, int ->
 * number (bigint past 2^53), float -> number, str -> string, bytes/bytearray -> Uint8Array, list ->
 * array, tuple -> frozen array, dict -> object (str and int keys), set/frozenset -> Set, 1-D numpy
 * float32/float64 array -> Float32Array/Float64Array, numpy scalar -> number, bson ObjectId -> hex string.
 * Throws PickleError (PickleRefusedError for a global outside the allowlist) with a code and byte offset.
 */
export function readPickle(buffer: Uint8Array): PickleValue {
  const machine = new Machine(buffer, scanFetchedMemo(buffer), false);
  machine.run();
  return machine.result as PickleValue;
}

/**
 * The records of a pickle whose top-level object is a list, one at a time as the machine appends
 * them: a record no later opcode refers to is not kept, so memory holds the input and a batch
 * (CPython appends 1,000 at a time), not the whole list. Errors as readPickle, possibly after some
 * records were yielded: the whole file is only valid once the iteration ends.
 */
export function* iteratePickleRecords(buffer: Uint8Array): Generator<PickleValue, void, undefined> {
  const machine = new Machine(buffer, scanFetchedMemo(buffer), true);
  while (!machine.done) {
    machine.run();
    const batch = machine.ready.splice(0);
    for (const record of batch) yield record as PickleValue;
  }
}
