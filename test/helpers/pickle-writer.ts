// A small pickle writer (protocol 5, the way CPython lays records out) so tests can make large
// pickles without Python; the pickle test checks Python reads its output the same way when it can.

type Writable = null | boolean | number | bigint | string | Float32Array | Writable[] | { [key: string]: Writable };

const BATCH = 1000; // CPython's APPENDS/SETITEMS batch size

export function writePickle(value: Writable): Buffer {
  const out: Buffer[] = [Buffer.from([0x80, 5])];
  const op = (...bytes: number[]) => out.push(Buffer.from(bytes));
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    out.push(b);
  };
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    if (b.length < 256) op(0x8c, b.length);
    else {
      op(0x58);
      u32(b.length);
    }
    out.push(b);
  };
  const int = (n: number | bigint) => {
    if (typeof n === 'number' && n >= 0 && n < 256) return op(0x4b, n);
    if (typeof n === 'number' && n >= -(2 ** 31) && n < 2 ** 31) {
      op(0x4a);
      const b = Buffer.alloc(4);
      b.writeInt32LE(n);
      return out.push(b);
    }
    // LONG1: little-endian two's complement, as short as the sign allows
    let v = BigInt(n);
    const bytes: number[] = [];
    while (true) {
      const byte = Number(v & 0xffn);
      bytes.push(byte);
      v >>= 8n;
      if ((v === 0n && byte < 0x80) || (v === -1n && byte >= 0x80)) break;
    }
    op(0x8a, bytes.length, ...bytes);
  };
  const vector = (v: Float32Array) => {
    // numpy._core.numeric._frombuffer(bytearray, dtype('f4') built with '<', (n,), 'C')
    str('numpy._core.numeric');
    str('_frombuffer');
    op(0x93, 0x28, 0x96);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(v.byteLength));
    out.push(len, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    str('numpy');
    str('dtype');
    op(0x93);
    str('f4');
    op(0x89, 0x88, 0x87, 0x52, 0x28, 0x4b, 3);
    str('<');
    op(0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0, 0x74, 0x62);
    int(v.length);
    op(0x85);
    str('C');
    op(0x74, 0x52);
  };
  const write = (v: Writable): void => {
    if (v === null) op(0x4e);
    else if (typeof v === 'boolean') op(v ? 0x88 : 0x89);
    else if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0))) int(v);
    else if (typeof v === 'number') {
      const b = Buffer.alloc(9);
      b[0] = 0x47;
      b.writeDoubleBE(v, 1);
      out.push(b);
    } else if (typeof v === 'string') str(v);
    else if (v instanceof Float32Array) vector(v);
    else if (Array.isArray(v)) {
      op(0x5d);
      for (let i = 0; i < v.length; i += BATCH) {
        op(0x28);
        for (const item of v.slice(i, i + BATCH)) write(item);
        op(0x65);
      }
    } else {
      op(0x7d, 0x28);
      for (const [k, item] of Object.entries(v)) {
        str(k);
        write(item);
      }
      op(0x75);
    }
  };
  write(value);
  op(0x2e);
  return Buffer.concat(out);
}
