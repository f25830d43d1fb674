// The pickle machine's opcodes (CPython Lib/pickletools.py) with the shape of each one's inline
// argument, so the pre-scan and the machine agree on where every opcode ends.

/** How an opcode's argument is laid out after the opcode byte. */
export type ArgKind =
  | 'none'
  | 'u1'
  | 'u2'
  | 'i4'
  | 'u4'
  | 'u8'
  | 'f8'
  | 'bytes1' // 1-byte unsigned length, then the bytes
  | 'bytes4' // 4-byte unsigned length
  | 'bytes4s' // 4-byte signed length (a negative one is malformed)
  | 'bytes8' // 8-byte unsigned length
  | 'line' // text up to a newline
  | 'lines2'; // two such lines (module, name)

interface OpInfo {
  name: string;
  arg: ArgKind;
}

export const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  POP: 0x30,
  POP_MARK: 0x31,
  DUP: 0x32,
  FLOAT: 0x46,
  INT: 0x49,
  BININT: 0x4a,
  BININT1: 0x4b,
  LONG: 0x4c,
  BININT2: 0x4d,
  NONE: 0x4e,
  PERSID: 0x50,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  STRING: 0x53,
  BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55,
  UNICODE: 0x56,
  BINUNICODE: 0x58,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  DICT: 0x64,
  EMPTY_DICT: 0x7d,
  APPENDS: 0x65,
  GET: 0x67,
  BINGET: 0x68,
  INST: 0x69,
  LONG_BINGET: 0x6a,
  LIST: 0x6c,
  EMPTY_LIST: 0x5d,
  OBJ: 0x6f,
  PUT: 0x70,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  EMPTY_TUPLE: 0x29,
  SETITEMS: 0x75,
  BINFLOAT: 0x47,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  EXT1: 0x82,
  EXT2: 0x83,
  EXT4: 0x84,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90,
  FROZENSET: 0x91,
  NEWOBJ_EX: 0x92,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97,
  READONLY_BUFFER: 0x98,
} as const;

export type OpName = keyof typeof OP;

const ARGS: Partial<Record<OpName, ArgKind>> = {
  FLOAT: 'line',
  INT: 'line',
  LONG: 'line',
  PERSID: 'line',
  STRING: 'line',
  UNICODE: 'line',
  GET: 'line',
  PUT: 'line',
  GLOBAL: 'lines2',
  INST: 'lines2',
  BININT: 'i4',
  BININT1: 'u1',
  BININT2: 'u2',
  BINGET: 'u1',
  LONG_BINGET: 'u4',
  BINPUT: 'u1',
  LONG_BINPUT: 'u4',
  PROTO: 'u1',
  EXT1: 'u1',
  EXT2: 'u2',
  EXT4: 'i4',
  FRAME: 'u8',
  BINFLOAT: 'f8',
  LONG1: 'bytes1',
  LONG4: 'bytes4s',
  BINSTRING: 'bytes4s',
  SHORT_BINSTRING: 'bytes1',
  BINUNICODE: 'bytes4',
  SHORT_BINUNICODE: 'bytes1',
  BINUNICODE8: 'bytes8',
  BINBYTES: 'bytes4',
  SHORT_BINBYTES: 'bytes1',
  BINBYTES8: 'bytes8',
  BYTEARRAY8: 'bytes8',
};

/** Opcode byte -> name and argument shape; `undefined` for a byte that is no opcode. */
export const OPCODES: ReadonlyArray<OpInfo | undefined> = (() => {
  const table: Array<OpInfo | undefined> = new Array(256).fill(undefined);
  for (const [name, code] of Object.entries(OP) as Array<[OpName, number]>) table[code] = { name, arg: ARGS[name] ?? 'none' };
  return table;
})();
