// numpy arrays and scalars as numpy pickles them, rebuilt from bytes only: a 1-D float32/float64
// array becomes a Float32Array/Float64Array, anything else is refused by name.
import { invalid, unsupported } from './errors.js';
import { AllowedGlobal, describe, Internal, Pending, tupleItems } from './values.js';

const DESCR = /^([biufcmMOSUV])(\d{1,4})$/;

/** numpy.dtype(descr, align, copy), whose byte order arrives later by BUILD. */
export class NumpyDtype extends Internal {
  readonly what: string;
  byteorder = '|';
  structured = false;

  constructor(readonly descr: string) {
    super();
    this.what = `numpy.dtype('${descr}')`;
  }

  override build(state: unknown, at: number): unknown {
    // (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
    const s = tupleItems(state);
    if (!s || s.length < 8 || typeof s[1] !== 'string' || !['<', '>', '|', '='].includes(s[1])) {
      throw invalid(`numpy.dtype state must be an 8- or 9-tuple starting (version, byteorder), got ${describe(state)}`, at);
    }
    this.byteorder = s[1];
    this.structured = s[2] !== null || s[3] !== null;
    return this;
  }

  /** numpy's own name for the dtype, e.g. int64, float32, object. */
  get label(): string {
    const m = DESCR.exec(this.descr);
    const order = this.byteorder === '|' || this.byteorder === '=' ? '' : this.byteorder;
    if (this.structured) return `structured dtype '${order}${this.descr}'`;
    if (!m) return `dtype '${order}${this.descr}'`;
    const bits = Number(m[2]) * 8;
    const names: Record<string, string> = {
      b: 'bool',
      i: `int${bits}`,
      u: `uint${bits}`,
      f: `float${bits}`,
      c: `complex${bits}`,
      O: 'object',
    };
    return `${names[m[1]!] ?? 'dtype'} ('${order}${this.descr}')`;
  }

  get littleEndian(): boolean {
    return this.byteorder !== '>';
  }
}

export const newDtype = (args: readonly unknown[], at: number): NumpyDtype => {
  const descr = args[0];
  if (typeof descr !== 'string' || descr.length > 64) throw invalid(`numpy.dtype wants a type string, got ${describe(descr)}`, at);
  return new NumpyDtype(descr);
};

/** What numpy.core.multiarray._reconstruct returns: an empty ndarray that BUILD fills. */
class PendingNdarray extends Pending {
  readonly what = 'a numpy.ndarray';

  override build(state: unknown, at: number): unknown {
    const s = tupleItems(state);
    // (version, shape, dtype, is_fortran, rawdata); numpy before 1.x wrote it without the version.
    const [shape, dtype, raw] = s?.length === 5 ? [s[1], s[2], s[4]] : s?.length === 4 ? [s[0], s[1], s[3]] : [];
    if (!s || !(dtype instanceof NumpyDtype))
      throw invalid(`numpy.ndarray state must be (version, shape, dtype, is_fortran, data), got ${describe(state)}`, at);
    return toVector(dtype, shape, raw, at);
  }
}

export function reconstruct(args: readonly unknown[], at: number): PendingNdarray {
  const cls = args[0];
  if (!(cls instanceof AllowedGlobal && cls.name === 'ndarray'))
    throw invalid(`_reconstruct wants numpy.ndarray, got ${describe(cls)}`, at);
  return new PendingNdarray();
}

/** numpy.core.numeric._frombuffer(buffer, dtype, shape, order): protocol 5's in-band array. */
export function frombuffer(args: readonly unknown[], at: number): Float32Array | Float64Array {
  const [buffer, dtype, shape, order] = args;
  if (!(dtype instanceof NumpyDtype)) throw invalid(`_frombuffer wants a numpy.dtype, got ${describe(dtype)}`, at);
  if (order !== 'C' && order !== 'F') throw invalid(`_frombuffer order must be 'C' or 'F', got ${describe(order)}`, at);
  return toVector(dtype, shape, buffer, at);
}

function toVector(dtype: NumpyDtype, shape: unknown, raw: unknown, at: number): Float32Array | Float64Array {
  const size = dtype.structured ? 0 : dtype.descr === 'f4' ? 4 : dtype.descr === 'f8' ? 8 : 0;
  if (size === 0) throw unsupported(`numpy array of dtype ${dtype.label} refused: a vector must be a 1-D float32 or float64 array`, at);
  const dims = tupleItems(shape);
  if (!dims?.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw invalid(`numpy array shape must be a tuple of sizes, got ${describe(shape)}`, at);
  }
  if (dims.length !== 1) throw unsupported(`numpy array of shape (${dims.join(', ')}) refused: a vector must be 1-D`, at);
  const n = dims[0] as number;
  if (!(raw instanceof Uint8Array) || raw.length !== n * size) {
    const got = raw instanceof Uint8Array ? `${raw.length} bytes` : describe(raw);
    throw invalid(`numpy array of ${n} ${dtype.label} needs ${n * size} bytes of data, got ${got}`, at);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const little = dtype.littleEndian;
  if (size === 4) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, little);
    return out;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, little);
  return out;
}

/** numpy.core.multiarray.scalar(dtype, bytes): a numpy number (pandas rows are full of them). */
export function scalar(args: readonly unknown[], at: number): number | bigint | boolean {
  const [dtype, raw] = args;
  if (!(dtype instanceof NumpyDtype)) throw invalid(`numpy scalar wants a numpy.dtype, got ${describe(dtype)}`, at);
  const m = dtype.structured ? null : DESCR.exec(dtype.descr);
  const kind = m?.[1];
  const size = Number(m?.[2]);
  const known =
    (kind === 'f' && (size === 4 || size === 8)) ||
    ((kind === 'i' || kind === 'u') && [1, 2, 4, 8].includes(size)) ||
    (kind === 'b' && size === 1);
  if (!known)
    throw unsupported(`numpy scalar of dtype ${dtype.label} refused: only bool, int, uint, float32 and float64 scalars are read`, at);
  if (!(raw instanceof Uint8Array) || raw.length !== size)
    throw invalid(`numpy scalar ${dtype.label} needs ${size} bytes, got ${describe(raw)}`, at);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const le = dtype.littleEndian;
  if (kind === 'b') return raw[0] !== 0;
  if (kind === 'f') return size === 4 ? v.getFloat32(0, le) : v.getFloat64(0, le);
  if (size === 8) {
    const big = kind === 'i' ? v.getBigInt64(0, le) : v.getBigUint64(0, le);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  if (size === 1) return kind === 'i' ? v.getInt8(0) : v.getUint8(0);
  if (size === 2) return kind === 'i' ? v.getInt16(0, le) : v.getUint16(0, le);
  return kind === 'i' ? v.getInt32(0, le) : v.getUint32(0, le);
}
