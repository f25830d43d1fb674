// Bounded reads over the pickle bytes: every length is checked against what remains before anything
// is allocated, so a hostile length costs an error, never memory.
import { invalid, truncated, unsupported } from './errors.js';

/** Longest text line (GLOBAL/INST module or name) we read; real ones are a few dozen bytes. */
const MAX_LINE = 1024;

export class Cursor {
  pos = 0;
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(input: Uint8Array) {
    // A plain Uint8Array view: a Buffer's slice() would alias instead of copy.
    this.bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless `n` more bytes exist; `at` is the offset of the opcode being read. */
  need(n: number, what: string, at: number): void {
    if (n > this.remaining) throw truncated(`${what} needs ${n} more bytes but only ${this.remaining} remain`, at);
  }

  u1(what: string, at: number): number {
    this.need(1, what, at);
    return this.bytes[this.pos++]!;
  }

  u2(what: string, at: number): number {
    this.need(2, what, at);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  i4(what: string, at: number): number {
    this.need(4, what, at);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u4(what: string, at: number): number {
    this.need(4, what, at);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** An 8-byte length, refused before it becomes a Number if it could not fit in what remains. */
  u8len(what: string, at: number): number {
    this.need(8, what, at);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(this.remaining)) throw truncated(`${what} claims ${v} bytes but only ${this.remaining} remain`, at);
    return Number(v);
  }

  f8be(what: string, at: number): number {
    this.need(8, what, at);
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** A view of the next `n` bytes (no copy): for data decoded at once, never handed out. */
  take(n: number, what: string, at: number): Uint8Array {
    this.need(n, what, at);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A copy of the next `n` bytes, so a value never aliases the caller's buffer. */
  copy(n: number, what: string, at: number): Uint8Array {
    return this.take(n, what, at).slice();
  }

  /** Steps over a protocol 0 text argument without reading it (the machine refuses those opcodes). */
  skipLine(what: string, at: number): void {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw truncated(`${what} has no terminating newline`, at);
    this.pos = end + 1;
  }

  /** A GLOBAL/INST module or name: UTF-8 up to the next newline (consumed, not returned). */
  line(what: string, at: number): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw truncated(`${what} has no terminating newline`, at);
    if (end - this.pos > MAX_LINE) throw invalid(`${what} is longer than ${MAX_LINE} bytes`, at);
    const raw = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    return decodeUtf8(raw, at);
  }
}

/** UTF-8 as CPython's pickle writes it ('surrogatepass': lone surrogates are allowed), else invalid. */
export function decodeUtf8(raw: Uint8Array, at: number): string {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('utf8');
  // Node replaces bad sequences with U+FFFD; only then is the careful decoder worth its time.
  return text.includes('\uFFFD') ? decodeUtf8Strict(raw, at) : text;
}

function decodeUtf8Strict(raw: Uint8Array, at: number): string {
  const units: number[] = [];
  let out = '';
  let i = 0;
  const bad = () => invalid(`string is not valid UTF-8 (byte ${i} of ${raw.length})`, at);
  while (i < raw.length) {
    const b0 = raw[i]!;
    let cp: number;
    let len: number;
    let min: number;
    if (b0 < 0x80) [cp, len, min] = [b0, 1, 0];
    else if (b0 >= 0xc2 && b0 < 0xe0) [cp, len, min] = [b0 & 0x1f, 2, 0x80];
    else if (b0 >= 0xe0 && b0 < 0xf0) [cp, len, min] = [b0 & 0x0f, 3, 0x800];
    else if (b0 >= 0xf0 && b0 < 0xf5) [cp, len, min] = [b0 & 0x07, 4, 0x10000];
    else throw bad();
    if (i + len > raw.length) throw bad();
    for (let k = 1; k < len; k++) {
      const b = raw[i + k]!;
      if ((b & 0xc0) !== 0x80) throw bad();
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff) throw bad();
    if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else units.push(cp);
    i += len;
    if (units.length > 4096) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}

/** Longest LONG1/LONG4 integer read: 1 KiB is ~2,466 decimal digits, far past any id or count. */
const MAX_LONG_BYTES = 1024;

/** LONG1/LONG4: little-endian two's complement, a Number when it is safe, else a bigint. */
export function decodeLong(raw: Uint8Array, at: number): number | bigint {
  const n = raw.length;
  if (n === 0) return 0;
  if (n > MAX_LONG_BYTES) throw unsupported(`an integer of ${n} bytes; at most ${MAX_LONG_BYTES} are read`, at);
  const negative = (raw[n - 1]! & 0x80) !== 0;
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + raw[i]!;
    return negative ? v - 2 ** (8 * n) : v;
  }
  let hex = '';
  for (let i = n - 1; i >= 0; i--) hex += raw[i]!.toString(16).padStart(2, '0');
  let big = BigInt(`0x${hex}`);
  if (negative) big -= 1n << BigInt(8 * n);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** SHORT_BINSTRING/BINSTRING, a Python 2 str: read as ASCII, as Python 3's pickle does by default. */
export function decodeAscii(raw: Uint8Array, at: number): string {
  for (const b of raw) {
    if (b > 0x7f) throw unsupported('a Python 2 str with non-ASCII bytes: its encoding is unknown (Python 3 refuses it too)', at);
  }
  return Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('latin1');
}
