// The values the machine handles: plain JS values that may reach the caller, and Internal ones
// (allowed globals, dtypes, objects awaiting BUILD) that only ever feed a reconstructor.
import { invalid, unsupported } from './errors.js';

/** What readPickle can return: nothing else is ever handed out. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Float32Array
  | Float64Array
  | readonly PickleValue[]
  | PickleValue[]
  | Set<PickleValue>
  | { [key: string]: PickleValue };

/** A machine-only value; `escape` says why it cannot be stored in a list, dict or set or returned. */
export abstract class Internal {
  abstract readonly what: string;

  escape(at: number): Error {
    return unsupported(`${this.what} cannot be a value in a record (only an argument of an allowed reconstructor)`, at);
  }

  /** BUILD: apply `state`; the result replaces this object on the stack and in the memo. */
  build(_state: unknown, at: number): unknown {
    throw invalid(`BUILD applied to ${this.what}, which takes no state`, at);
  }
}

/** An object created by NEWOBJ or REDUCE that only BUILD turns into a value. */
export abstract class Pending extends Internal {
  /** Memo slots holding this object, so BUILD can put the built value there too. */
  readonly memoKeys: number[] = [];

  override escape(at: number): Error {
    return invalid(`${this.what} was used before BUILD gave it its state`, at);
  }
}

/** A tuple holding Internal values (e.g. reconstructor arguments); plain tuples are frozen arrays. */
export class InternalTuple extends Internal {
  readonly what: string;
  constructor(readonly items: readonly unknown[]) {
    super();
    const inner = items.find((v) => v instanceof Internal) as Internal;
    this.what = `a tuple holding ${inner.what}`;
  }
}

export function makeTuple(items: unknown[]): unknown {
  for (const item of items) if (item instanceof Internal) return new InternalTuple(items);
  return Object.freeze(items);
}

/** The items of a tuple (plain or internal), or null for anything that is not one. */
export function tupleItems(v: unknown): readonly unknown[] | null {
  if (v instanceof InternalTuple) return v.items;
  if (Array.isArray(v) && Object.isFrozen(v)) return v;
  return null;
}

export function isList(v: unknown): v is unknown[] {
  return Array.isArray(v) && !Object.isFrozen(v);
}

export function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Throws if `v` is machine-only, so it never reaches a container or the caller. */
export function plain(v: unknown, at: number): unknown {
  if (v instanceof Internal) throw v.escape(at);
  return v;
}

/** dict[key] = value without ever touching a prototype (a `__proto__` key is just a key). */
export function setItem(dict: Record<string, unknown>, key: unknown, value: unknown, at: number): void {
  let name: string;
  if (typeof key === 'string') name = key;
  else if ((typeof key === 'number' && Number.isInteger(key)) || typeof key === 'bigint') name = String(key);
  else throw unsupported(`a dict key of type ${describe(key)}; only str and int keys are read`, at);
  plain(value, at);
  if (name === '__proto__') Object.defineProperty(dict, name, { value, writable: true, enumerable: true, configurable: true });
  else dict[name] = value;
}

/** A short name for a value's type, for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Internal) return v.what;
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof Float32Array || v instanceof Float64Array) return 'numpy array';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Set) return 'set';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (isDict(v)) return 'dict';
  return typeof v;
}

/** What an allowed global may do: each is a data-only function written here, never Python. */
export interface Reconstructor {
  /** REDUCE, INST, OBJ: the global called with `args`. */
  call?: (args: readonly unknown[], at: number) => unknown;
  /** NEWOBJ, NEWOBJ_EX: `cls.__new__(cls, *args)`. */
  newobj?: (args: readonly unknown[], at: number) => unknown;
}

/** A (module, name) pair found on the allowlist, with what it may do. */
export class AllowedGlobal extends Internal {
  readonly what: string;
  constructor(
    readonly module: string,
    readonly name: string,
    readonly ops: Reconstructor,
  ) {
    super();
    this.what = `${module}.${name}`;
  }
}
