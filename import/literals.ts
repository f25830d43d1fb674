// Opcodes that push a literal (None, bool, int, float, str, bytes): decoded straight from the bytes,
// every length checked by the cursor before anything is allocated.
import { type Cursor, decodeAscii, decodeLong, decodeUtf8 } from './cursor.js';
import { invalid, unsupported } from './errors.js';
import { OP } from './opcodes.js';

/** What readLiteral returns for an opcode that is not a literal. */
export const NOT_LITERAL = Symbol('not a literal');

export function readLiteral(cur: Cursor, code: number, name: string, at: number): unknown {
  switch (code) {
    case OP.NONE:
      return null;
    case OP.NEWTRUE:
      return true;
    case OP.NEWFALSE:
      return false;
    case OP.BININT:
      return cur.i4(name, at);
    case OP.BININT1:
      return cur.u1(name, at);
    case OP.BININT2:
      return cur.u2(name, at);
    case OP.LONG1:
      return decodeLong(cur.take(cur.u1(name, at), name, at), at);
    case OP.LONG4:
      return decodeLong(cur.take(signedLength(cur, name, at), name, at), at);
    case OP.BINFLOAT:
      return cur.f8be(name, at);
    case OP.SHORT_BINUNICODE:
      return decodeUtf8(cur.take(cur.u1(name, at), name, at), at);
    case OP.BINUNICODE:
      return decodeUtf8(cur.take(cur.u4(name, at), name, at), at);
    case OP.BINUNICODE8:
      return decodeUtf8(cur.take(cur.u8len(name, at), name, at), at);
    case OP.SHORT_BINSTRING:
      return decodeAscii(cur.take(cur.u1(name, at), name, at), at);
    case OP.BINSTRING:
      return decodeAscii(cur.take(signedLength(cur, name, at), name, at), at);
    case OP.SHORT_BINBYTES:
      return cur.copy(cur.u1(name, at), name, at);
    case OP.BINBYTES:
      return cur.copy(cur.u4(name, at), name, at);
    case OP.BINBYTES8:
    case OP.BYTEARRAY8:
      return cur.copy(cur.u8len(name, at), name, at);
    case OP.NEXT_BUFFER:
      throw unsupported('an out-of-band buffer (NEXT_BUFFER): only in-band protocol 5 pickles are read', at);
    default:
      return NOT_LITERAL;
  }
}

function signedLength(cur: Cursor, name: string, at: number): number {
  const n = cur.i4(name, at);
  if (n < 0) throw invalid(`${name} has a negative length ${n}`, at);
  return n;
}
