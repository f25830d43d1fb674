// bson.objectid.ObjectId, as pymongo pickles it (NEWOBJ, then BUILD with its 12 bytes), becomes
// its 24-hex-digit string: the form MongoDB ids take everywhere else in tandem.
import { invalid } from './errors.js';
import { describe, isDict, Pending } from './values.js';

class PendingObjectId extends Pending {
  readonly what = 'a bson.objectid.ObjectId';

  override build(state: unknown, at: number): string {
    // pymongo 1.9 and older pickled a dict; Python 2 pickled the 12 bytes as a latin-1 str.
    const oid = isDict(state) && Object.hasOwn(state, '_ObjectId__id') ? state._ObjectId__id : state;
    return hexOf(oid, at);
  }
}

export const newObjectId = (args: readonly unknown[], at: number): PendingObjectId => {
  if (args.length !== 0) throw invalid(`ObjectId.__new__ takes no arguments, got ${args.length}`, at);
  return new PendingObjectId();
};

/** ObjectId(oid) called directly (REDUCE): a 24-hex-digit str or 12 bytes; never a fresh id. */
export const callObjectId = (args: readonly unknown[], at: number): string => {
  const [oid] = args;
  if (args.length === 1 && typeof oid === 'string' && /^[0-9a-fA-F]{24}$/.test(oid)) return oid.toLowerCase();
  if (args.length === 1 && oid instanceof Uint8Array) return hexOf(oid, at);
  throw invalid(
    `ObjectId(...) wants one 24-hex-digit str or 12 bytes, got ${args.length === 1 ? describe(oid) : `${args.length} arguments`}`,
    at,
  );
};

function hexOf(oid: unknown, at: number): string {
  let bytes: Uint8Array | null = null;
  if (oid instanceof Uint8Array) bytes = oid;
  else if (typeof oid === 'string' && oid.length === 12 && [...oid].every((c) => c.charCodeAt(0) < 256)) {
    bytes = Uint8Array.from(oid, (c) => c.charCodeAt(0));
  }
  if (bytes?.length !== 12) throw invalid(`ObjectId state must be 12 bytes, got ${bytes ? `${bytes.length} bytes` : describe(oid)}`, at);
  return Buffer.from(bytes).toString('hex');
}
