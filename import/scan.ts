// A first pass that decodes no values: it finds every memo slot a later GET fetches, so the
// machine keeps only those and a record nobody refers to again can be let go once yielded.
import { Cursor } from './cursor.js';
import { invalid, truncated } from './errors.js';
import { OP, OPCODES } from './opcodes.js';

export function scanFetchedMemo(bytes: Uint8Array): Set<number> {
  const cur = new Cursor(bytes);
  const fetched = new Set<number>();
  while (cur.remaining > 0) {
    const at = cur.pos;
    const code = cur.u1('opcode', at);
    const info = OPCODES[code];
    if (!info) throw invalid(`unknown opcode 0x${code.toString(16).padStart(2, '0')}`, at);
    if (code === OP.STOP) return fetched;
    const what = info.name;
    switch (info.arg) {
      case 'none':
        break;
      case 'u1':
        if (code === OP.BINGET) fetched.add(cur.u1(what, at));
        else cur.u1(what, at);
        break;
      case 'u2':
        cur.u2(what, at);
        break;
      case 'i4':
        cur.i4(what, at);
        break;
      case 'u4':
        if (code === OP.LONG_BINGET) fetched.add(cur.u4(what, at));
        else cur.u4(what, at);
        break;
      case 'u8':
        cur.u8len(what, at); // FRAME: its opcodes follow inline, so only the size is checked here
        break;
      case 'f8':
        cur.f8be(what, at);
        break;
      case 'bytes1':
        cur.take(cur.u1(what, at), what, at);
        break;
      case 'bytes4':
        cur.take(cur.u4(what, at), what, at);
        break;
      case 'bytes4s': {
        const n = cur.i4(what, at);
        if (n < 0) throw invalid(`${what} has a negative length ${n}`, at);
        cur.take(n, what, at);
        break;
      }
      case 'bytes8':
        cur.take(cur.u8len(what, at), what, at);
        break;
      case 'line':
        cur.skipLine(what, at);
        break;
      case 'lines2':
        cur.skipLine(what, at);
        cur.skipLine(what, at);
        break;
    }
  }
  throw truncated('the pickle ends before its STOP opcode', cur.pos);
}
