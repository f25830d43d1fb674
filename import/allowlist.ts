// The only (module, name) pairs a pickle may name, each mapped to a data-only reconstructor here.
// Everything else, `os.system` or `builtins.eval` alike, is refused by its exact name.
import { invalid, refused, unsupported } from './errors.js';
import { frombuffer, newDtype, reconstruct, scalar } from './numpy.js';
import { callObjectId, newObjectId } from './objectid.js';
import { AllowedGlobal, describe, plain, type Reconstructor, tupleItems } from './values.js';

/** set(iterable) / frozenset(iterable), as protocols 2 and 3 write sets. */
function makeSet(args: readonly unknown[], at: number): Set<unknown> {
  if (args.length === 0) return new Set();
  const [items] = args;
  const list = Array.isArray(items) ? items : items instanceof Set ? [...items] : null;
  if (args.length !== 1 || !list) throw invalid(`set(...) wants one list, tuple or set, got ${describe(items)}`, at);
  return new Set(list.map((v) => plain(v, at)));
}

/** str.encode('latin1') as `_codecs.encode`: how protocol 2 carries bytes. */
function latin1(text: unknown, encoding: unknown, at: number): Uint8Array {
  if (typeof text !== 'string') throw invalid(`_codecs.encode wants a str, got ${describe(text)}`, at);
  if (encoding !== 'latin1' && encoding !== 'latin-1')
    throw unsupported(`_codecs.encode with encoding ${JSON.stringify(encoding)}; only latin1 is read`, at);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw invalid('_codecs.encode(..., latin1) of a str with characters above U+00FF', at);
    out[i] = c;
  }
  return out;
}

function makeBytearray(args: readonly unknown[], at: number): Uint8Array {
  const [data, encoding] = args;
  if (args.length === 0) return new Uint8Array(0);
  if (args.length === 1 && data instanceof Uint8Array) return data.slice();
  if (args.length === 2) return latin1(data, encoding, at);
  throw invalid(`bytearray(...) wants bytes or (str, 'latin-1'), got ${describe(data)}`, at);
}

/** bytes(): protocol 2 writes an empty bytes as a call of bytes with no arguments. */
function makeBytes(args: readonly unknown[], at: number): Uint8Array {
  if (args.length === 0) return new Uint8Array(0);
  return makeBytearray(args, at);
}

const setOps: Reconstructor = { call: makeSet };
const bytesOps: Reconstructor = { call: makeBytes };
const bytearrayOps: Reconstructor = { call: makeBytearray };
const ndarray: Reconstructor = {}; // only an argument of _reconstruct: never called
const numpyPairs = (prefix: string): Array<[string, string, Reconstructor]> => [
  [`${prefix}.multiarray`, '_reconstruct', { call: reconstruct }],
  [`${prefix}.multiarray`, 'scalar', { call: scalar }],
  [`${prefix}.numeric`, '_frombuffer', { call: frombuffer }],
];

const ENTRIES: Array<[string, string, Reconstructor]> = [
  ...numpyPairs('numpy.core'), // numpy 1.x
  ...numpyPairs('numpy._core'), // numpy 2.x
  ['numpy', 'ndarray', ndarray],
  ['numpy', 'dtype', { call: newDtype }],
  ['_codecs', 'encode', { call: (args, at) => latin1(args[0], args[1], at) }],
  ['builtins', 'set', setOps],
  ['builtins', 'frozenset', setOps],
  ['builtins', 'bytearray', bytearrayOps],
  ['builtins', 'bytes', bytesOps],
  ['__builtin__', 'set', setOps], // protocol 2 writes Python 2's module name
  ['__builtin__', 'frozenset', setOps],
  ['__builtin__', 'bytearray', bytearrayOps],
  ['__builtin__', 'bytes', bytesOps],
  ['bson.objectid', 'ObjectId', { newobj: newObjectId, call: callObjectId }],
];

// A Map of Maps: no prototype lookup, and no "a.b" + "c" vs "a" + "b.c" ambiguity.
const ALLOWED = new Map<string, Map<string, AllowedGlobal>>();
for (const [module, name, ops] of ENTRIES) {
  const names = ALLOWED.get(module) ?? new Map<string, AllowedGlobal>();
  names.set(name, new AllowedGlobal(module, name, ops));
  ALLOWED.set(module, names);
}

/** Every allowed global as `module.name`, for documentation and tests. */
export const PICKLE_ALLOWLIST: readonly string[] = Object.freeze(ENTRIES.map(([m, n]) => `${m}.${n}`));

/** GLOBAL, STACK_GLOBAL, INST: the allowed global, or a refusal naming exactly what was asked. */
export function resolveGlobal(module: string, name: string, at: number): AllowedGlobal {
  const found = ALLOWED.get(module)?.get(name);
  if (!found) throw refused(`${module}.${name}`, at);
  return found;
}

/** REDUCE, INST, OBJ: call an allowed global with a tuple of arguments. */
export function callGlobal(fn: unknown, args: unknown, at: number): unknown {
  if (!(fn instanceof AllowedGlobal)) throw invalid(`REDUCE of ${describe(fn)}, which is not a global`, at);
  const items = tupleItems(args);
  if (!items) throw invalid(`REDUCE arguments must be a tuple, got ${describe(args)}`, at);
  if (!fn.ops.call) throw refused(fn.what, at, 'it may be named but not called');
  return fn.ops.call(items, at);
}

/** NEWOBJ, NEWOBJ_EX: `cls.__new__(cls, *args)` for an allowed class. */
export function newObject(cls: unknown, args: unknown, at: number): unknown {
  if (!(cls instanceof AllowedGlobal)) throw invalid(`NEWOBJ of ${describe(cls)}, which is not a class`, at);
  const items = tupleItems(args);
  if (!items) throw invalid(`NEWOBJ arguments must be a tuple, got ${describe(args)}`, at);
  if (!cls.ops.newobj) throw refused(cls.what, at, 'it may not be instantiated by NEWOBJ');
  return cls.ops.newobj(items, at);
}
