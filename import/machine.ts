// The unpickling machine: a stack, marks and a memo driven by opcodes, where a global is only ever
// looked up in the allowlist and a "call" only ever runs a reconstructor written in TypeScript.
import { callGlobal, newObject, resolveGlobal } from './allowlist.js';
import { Cursor } from './cursor.js';
import { invalid, refused, truncated, unsupported } from './errors.js';
import { NOT_LITERAL, readLiteral } from './literals.js';
import { OP, OPCODES } from './opcodes.js';
import { describe, Internal, isDict, isList, makeTuple, Pending, plain, setItem } from './values.js';

/** A memo slot no later GET fetches: counted (MEMOIZE numbers by count) but its value let go. */
const PRUNED = Symbol('pruned');
/** What an opcode that pushes no value returns. */
const NOTHING = Symbol('nothing');

export class Machine {
  private readonly cur: Cursor;
  private readonly stack: unknown[] = [];
  private readonly marks: number[] = [];
  /** Memo slots by index (CPython writes them densely from 0); MEMOIZE numbers by how many exist. */
  private readonly memo: unknown[] = [];
  private memoSize = 0;
  private frameEnd = 0;
  private root: unknown[] | null = null;
  /** Stream mode: top-level records appended since the caller last took them. */
  readonly ready: unknown[] = [];
  done = false;
  result: unknown = null;
  /** What reconstructors may still allocate: their data comes from the pickle, so more means amplification. */
  private budget: number;

  constructor(
    bytes: Uint8Array,
    private readonly fetched: ReadonlySet<number>,
    private readonly stream: boolean,
  ) {
    this.cur = new Cursor(bytes);
    this.budget = 2 * bytes.length + 65_536;
  }

  /** Runs to STOP, or in stream mode until some top-level records are ready. */
  run(): void {
    while (!this.done && this.ready.length === 0) this.step();
  }

  private floor(): number {
    return this.marks.at(-1) ?? 0;
  }

  private pop(at: number): unknown {
    if (this.stack.length <= this.floor()) throw invalid('stack underflow: an opcode needs a value the stack does not hold', at);
    return this.stack.pop();
  }

  private top(at: number): unknown {
    if (this.stack.length <= this.floor()) throw invalid('stack underflow: an opcode needs a value the stack does not hold', at);
    return this.stack[this.stack.length - 1];
  }

  private popMark(at: number): unknown[] {
    const base = this.marks.pop();
    if (base === undefined) throw invalid('an opcode needs a MARK that was never pushed', at);
    return this.stack.splice(base);
  }

  private append(list: unknown, items: readonly unknown[], at: number): void {
    if (!isList(list)) throw invalid(`APPEND to ${describe(list)}, which is not a list`, at);
    if (this.stream && this.root === null && this.marks.length === 0 && this.stack.length === 1 && this.stack[0] === list) {
      this.adoptRoot(list, at);
    }
    const target = this.stream && list === this.root ? this.ready : list;
    for (const v of items) target.push(plain(v, at));
  }

  /** Stream mode: the list alone on the stack that records are appended to is the top-level one. */
  private adoptRoot(list: unknown[], at: number): void {
    for (const idx of this.fetched)
      if (this.memo[idx] === list) throw unsupported('the top-level list refers to itself: read it with readPickle', at);
    this.root = list;
    for (const item of list.splice(0)) this.ready.push(item);
  }

  private setItems(dict: unknown, items: readonly unknown[], at: number): void {
    if (!isDict(dict)) throw invalid(`SETITEM on ${describe(dict)}, which is not a dict`, at);
    if (items.length % 2 !== 0) throw invalid('SETITEMS with a key but no value', at);
    for (let i = 0; i < items.length; i += 2) setItem(dict, items[i], items[i + 1], at);
  }

  private put(idx: number, at: number): void {
    const v = this.top(at);
    const kept = this.fetched.has(idx);
    if (kept && this.stream && v === this.root) throw unsupported('the top-level list refers to itself: read it with readPickle', at);
    if (this.memo[idx] === undefined) this.memoSize++;
    this.memo[idx] = kept ? v : PRUNED;
    if (kept && v instanceof Pending) v.memoKeys.push(idx);
  }

  private get(idx: number, at: number): void {
    const v = this.memo[idx];
    if (v === undefined) throw invalid(`memo slot ${idx} is fetched but was never stored`, at);
    if (v === PRUNED) throw new Error(`pickle pre-scan missed a fetch of memo slot ${idx}`); // a bug here, not in the pickle
    this.stack.push(v);
  }

  private build(at: number): void {
    const state = this.pop(at);
    const inst = this.top(at);
    if (!(inst instanceof Internal)) throw invalid(`BUILD on ${describe(inst)}, which takes no state`, at);
    const built = this.charge(inst.build(state, at), at);
    this.stack[this.stack.length - 1] = built;
    if (inst instanceof Pending) for (const k of inst.memoKeys) if (this.memo[k] === inst) this.memo[k] = built;
  }

  /** Counts a reconstructed value against the budget (bytes of a buffer, items of a set, else 1). */
  private charge(v: unknown, at: number): unknown {
    this.budget -=
      v instanceof Uint8Array || v instanceof Float32Array || v instanceof Float64Array ? v.byteLength : v instanceof Set ? v.size : 1;
    if (this.budget < 0) throw invalid('reconstructed values outgrow the pickle: data is reused by reference to amplify it', at);
    return v;
  }

  private stop(at: number): void {
    if (this.marks.length > 0) throw invalid('STOP while a MARK is still open', at);
    if (this.stack.length !== 1) throw invalid(`STOP with ${this.stack.length} values on the stack instead of 1`, at);
    if (this.cur.remaining > 0) throw invalid(`${this.cur.remaining} bytes follow STOP`, this.cur.pos);
    if (this.stream && this.root === null && isList(this.stack[0])) this.adoptRoot(this.stack[0], at);
    if (this.stream && this.stack[0] !== this.root) {
      const what = this.root === null ? describe(this.stack[0]) : 'another object than the list the records went to';
      throw unsupported(`the top-level object is ${what}, not a list of records`, at);
    }
    this.result = plain(this.stack[0], at);
    this.done = true;
  }

  private step(): void {
    const at = this.cur.pos;
    if (this.cur.remaining === 0) throw truncated('the pickle ends before its STOP opcode', at);
    const code = this.cur.u1('opcode', at);
    const name = OPCODES[code]?.name ?? '';
    const literal = readLiteral(this.cur, code, name, at);
    const pushed = literal !== NOT_LITERAL ? literal : this.exec(code, name, at);
    if (pushed !== NOTHING) this.stack.push(pushed);
  }

  /** Runs one opcode that is not a literal; returns the value it pushes, or NOTHING. */
  private exec(code: number, name: string, at: number): unknown {
    const cur = this.cur;
    switch (code) {
      case OP.PROTO: {
        const proto = cur.u1(name, at);
        if (proto > 5) throw unsupported(`pickle protocol ${proto}; protocols 2 to 5 are read`, at);
        return NOTHING;
      }
      case OP.FRAME: {
        const size = cur.u8len(name, at);
        if (at < this.frameEnd) throw invalid('a FRAME begins before the previous frame ends', at);
        this.frameEnd = cur.pos + size;
        return NOTHING;
      }
      case OP.STOP:
        this.stop(at);
        return NOTHING;
      case OP.MARK:
        this.marks.push(this.stack.length);
        return NOTHING;
      case OP.POP:
        if (this.stack.length > this.floor()) this.stack.pop();
        else this.popMark(at); // CPython: POP with nothing above the mark discards the mark
        return NOTHING;
      case OP.POP_MARK:
        this.popMark(at);
        return NOTHING;
      case OP.DUP:
        return this.top(at);
      case OP.READONLY_BUFFER:
        if (!(this.top(at) instanceof Uint8Array)) throw invalid(`READONLY_BUFFER on ${describe(this.top(at))}`, at);
        return NOTHING;
      case OP.EMPTY_LIST:
        return [];
      case OP.EMPTY_DICT:
        return {};
      case OP.EMPTY_TUPLE:
        return Object.freeze([]);
      case OP.EMPTY_SET:
        return new Set();
      case OP.APPEND: {
        const v = this.pop(at);
        this.append(this.top(at), [v], at);
        return NOTHING;
      }
      case OP.APPENDS: {
        const items = this.popMark(at);
        this.append(this.top(at), items, at);
        return NOTHING;
      }
      case OP.LIST:
        return this.popMark(at).map((v) => plain(v, at));
      case OP.TUPLE:
        return makeTuple(this.popMark(at));
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const n = code - OP.TUPLE1 + 1;
        if (this.stack.length - this.floor() < n) throw invalid(`${name} needs ${n} values on the stack`, at);
        return makeTuple(this.stack.splice(this.stack.length - n));
      }
      case OP.DICT: {
        const dict = {};
        this.setItems(dict, this.popMark(at), at);
        return dict;
      }
      case OP.SETITEM: {
        const value = this.pop(at);
        const key = this.pop(at);
        this.setItems(this.top(at), [key, value], at);
        return NOTHING;
      }
      case OP.SETITEMS: {
        const items = this.popMark(at);
        this.setItems(this.top(at), items, at);
        return NOTHING;
      }
      case OP.ADDITEMS: {
        const items = this.popMark(at);
        const set = this.top(at);
        if (!(set instanceof Set)) throw invalid(`ADDITEMS to ${describe(set)}, which is not a set`, at);
        for (const v of items) set.add(plain(v, at));
        return NOTHING;
      }
      case OP.FROZENSET:
        return new Set(this.popMark(at).map((v) => plain(v, at)));
      case OP.BINPUT:
        this.put(cur.u1(name, at), at);
        return NOTHING;
      case OP.LONG_BINPUT:
        this.put(cur.u4(name, at), at);
        return NOTHING;
      case OP.MEMOIZE:
        this.put(this.memoSize, at);
        return NOTHING;
      case OP.BINGET:
        this.get(cur.u1(name, at), at);
        return NOTHING;
      case OP.LONG_BINGET:
        this.get(cur.u4(name, at), at);
        return NOTHING;
      case OP.GLOBAL: {
        const module = cur.line(name, at);
        return resolveGlobal(module, cur.line(name, at), at);
      }
      case OP.STACK_GLOBAL: {
        const global = this.pop(at);
        const module = this.pop(at);
        if (typeof module !== 'string' || typeof global !== 'string') throw invalid('STACK_GLOBAL needs two str values', at);
        return resolveGlobal(module, global, at);
      }
      case OP.INST: {
        const module = cur.line(name, at);
        const fn = resolveGlobal(module, cur.line(name, at), at);
        return this.charge(callGlobal(fn, makeTuple(this.popMark(at)), at), at);
      }
      case OP.OBJ: {
        const [fn, ...args] = this.popMark(at);
        if (fn === undefined) throw invalid('OBJ needs a class after its MARK', at);
        return this.charge(callGlobal(fn, makeTuple(args), at), at);
      }
      case OP.REDUCE: {
        const args = this.pop(at);
        return this.charge(callGlobal(this.pop(at), args, at), at);
      }
      case OP.NEWOBJ: {
        const args = this.pop(at);
        return this.charge(newObject(this.pop(at), args, at), at);
      }
      case OP.NEWOBJ_EX: {
        const kwargs = this.pop(at);
        const args = this.pop(at);
        if (!isDict(kwargs) || Object.keys(kwargs).length > 0)
          throw unsupported(`NEWOBJ_EX with keyword arguments (${describe(kwargs)})`, at);
        return this.charge(newObject(this.pop(at), args, at), at);
      }
      case OP.BUILD:
        this.build(at);
        return NOTHING;
      case OP.EXT1:
      case OP.EXT2:
      case OP.EXT4: {
        const ext = code === OP.EXT1 ? cur.u1(name, at) : code === OP.EXT2 ? cur.u2(name, at) : cur.i4(name, at);
        throw refused(`copyreg extension ${ext}`, at, 'extension codes name globals through a registry tandem does not have');
      }
      case OP.PERSID:
      case OP.BINPERSID:
        throw unsupported(`${name}: persistent ids need the pickler's own persistent_load`, at);
      default:
        if (name) throw unsupported(`${name}, a protocol 0/1 text opcode; pickles of protocol 2 to 5 are read`, at);
        throw invalid(`unknown opcode 0x${code.toString(16).padStart(2, '0')}`, at);
    }
  }
}
