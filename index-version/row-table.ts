// rows.bin: the profile rows of one index version, as the answer role needs them. Row i is key i
// of the index. Each row is stored as the JSON a result shows it with, up to its distance,
//   {"_id":"…","name":"…","surname":"…","distance":
// so an answer is these bytes, the distance and "}" concatenated: nothing is parsed or encoded per
// query. An open-addressing hash table of ids makes /recommend's id -> row lookup a probe or two
// instead of a JS Map of a million strings (hundreds of MB per child at 1M profiles).
//
// Layout (little-endian), written in one streaming pass (row-table-writer.ts), so the tables follow the rows:
//   [row bytes…][pad to 4][offsets: u32 × (count+1)][slots: u32 × slotCount][attributes][trailer]
//   attributes = the filterable columns and their dictionaries (index-version/attributes.ts)
//   trailer = "TNDROWS2" count:u32 slotCount:u32 rowBytes:u32 attributeBytes:u32   (24 bytes)
// A slot holds row+1 (0 = empty); slotCount is a power of two >= 2 × count.
// A removed row (an incremental build's deleted or replaced profile) is zero bytes long and has
// no slot: its key is gone from the index too, so no lookup or result can reach it.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { AttributeColumns, type ProfileAttributes } from './attributes.js';
import { IndexFormatError } from './errors.js';
import { readFullyAt } from './read-at.js';

export const MAGIC = Buffer.from('TNDROWS2', 'latin1');
export const TRAILER_BYTES = MAGIC.length + 16;
export const ID_PREFIX = Buffer.from('{"_id":');
// The longest row the reader will read at once; the builder refuses longer ones.
export const MAX_ROW_BYTES = 4096;

export interface ProfileFields {
  id: string;
  name: string;
  surname: string;
  /** What filters test; not part of the result row. */
  attributes?: ProfileAttributes;
}

/** FNV-1a over bytes: short ids hash in a few dozen operations, no allocation. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

export function slotCountFor(count: number): number {
  let slots = 16;
  while (slots < 2 * count) slots *= 2;
  return slots;
}

/** The bytes a row is stored as, and the span of its JSON-encoded id within them. */
export function encodeRow(fields: ProfileFields): { bytes: Buffer; idEnd: number } {
  const id = JSON.stringify(fields.id);
  const text = `{"_id":${id},"name":${JSON.stringify(fields.name)},"surname":${JSON.stringify(fields.surname)},"distance":`;
  return { bytes: Buffer.from(text), idEnd: ID_PREFIX.length + Buffer.byteLength(id) };
}

export function encodedRowBytes(fields: ProfileFields): number {
  return encodeRow(fields).bytes.length;
}

/** A row's bytes as rows.bin stores them, for a result built outside an index version (live changes). */
export function encodeResultRow(fields: ProfileFields): Buffer {
  return encodeRow(fields).bytes;
}

/** Where the row bytes are read from: all in this heap, or from the file (page cache) per read. */
export type RowStorage = 'memory' | 'file';

/**
 * A row table opened for reading. With 'file' storage only the offsets and slots (12-20 bytes a
 * row) live in the heap and each row is one positional read; the file's pages stay in the kernel's
 * page cache, shared by both children and not charged to either.
 */
export class RowTable {
  private readonly scratch = Buffer.allocUnsafe(MAX_ROW_BYTES);
  private closed = false;

  private constructor(
    private readonly fd: number,
    /** Rows, removed ones included: the keys of the index and the rows of vectors.f32 run 0..count-1. */
    readonly count: number,
    /** Rows an incremental build removed (empty, not findable by id). */
    readonly removedCount: number,
    private readonly offsets: Uint32Array,
    private readonly slots: Uint32Array,
    private readonly rowBytesInMemory: Buffer | null,
    /** The filterable fields, always in this heap (about 12 bytes a row). */
    readonly attributes: AttributeColumns,
  ) {}

  static open(file: string, storage: RowStorage): RowTable {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const fail = (why: string): never => {
        throw new IndexFormatError('ROWS_INVALID', `${file}: ${why}`);
      };
      if (size < TRAILER_BYTES) fail(`${size} bytes, shorter than its trailer`);
      const trailer = readExactly(fd, TRAILER_BYTES, size - TRAILER_BYTES);
      if (!trailer.subarray(0, MAGIC.length).equals(MAGIC)) fail('not a row table (trailer magic)');
      const count = trailer.readUInt32LE(MAGIC.length);
      const slotCount = trailer.readUInt32LE(MAGIC.length + 4);
      const rowBytes = trailer.readUInt32LE(MAGIC.length + 8);
      const attributeBytes = trailer.readUInt32LE(MAGIC.length + 12);
      const tablesAt = rowBytes + ((4 - (rowBytes % 4)) % 4);
      const attributesAt = tablesAt + 4 * (count + 1 + slotCount);
      if (slotCount !== slotCountFor(count) || attributesAt + attributeBytes + TRAILER_BYTES !== size) {
        fail(`trailer (count ${count}, slots ${slotCount}, row bytes ${rowBytes}) does not match the file size ${size}`);
      }
      const offsets = new Uint32Array(count + 1);
      readInto(fd, offsets, tablesAt);
      const slots = new Uint32Array(slotCount);
      readInto(fd, slots, tablesAt + offsets.byteLength);
      if (offsets[count] !== rowBytes) fail('offsets do not end at the row bytes');
      // Checked once here (a few ms at 1M rows) so that no lookup can loop or read out of bounds.
      let removed = 0;
      for (let row = 0; row < count; row++) {
        const length = offsets[row + 1]! - offsets[row]!;
        if (length === 0) removed++;
        else if (length <= ID_PREFIX.length || length > MAX_ROW_BYTES) fail(`row ${row} is ${length} bytes`);
      }
      let used = 0;
      for (const entry of slots) {
        if (entry > count) fail(`slot names row ${entry - 1} of ${count}`);
        if (entry !== 0) {
          if (offsets[entry]! === offsets[entry - 1]!) fail(`slot names removed row ${entry - 1}`);
          used++;
        }
      }
      if (used !== count - removed) fail(`${used} slots used for ${count - removed} rows`);
      let attributes: AttributeColumns;
      try {
        attributes = AttributeColumns.decode(readExactly(fd, attributeBytes, attributesAt), count);
      } catch (err) {
        return fail(`attributes: ${(err as Error).message}`);
      }
      const inMemory = storage === 'memory' ? readExactly(fd, rowBytes, 0) : null;
      return new RowTable(fd, count, removed, offsets, slots, inMemory, attributes);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** The row holding `id`, or undefined. */
  rowOf(id: string): number | undefined {
    const key = Buffer.from(JSON.stringify(id));
    const mask = this.slots.length - 1;
    for (let slot = hashBytes(key, 0, key.length) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return undefined;
      const row = entry - 1;
      const bytes = this.rowBytes(row);
      // The stored id is followed by "," (then "name"): compare it whole, not as a prefix.
      const end = ID_PREFIX.length + key.length;
      if (bytes.length > end && bytes[end] === 0x2c && key.equals(bytes.subarray(ID_PREFIX.length, end))) return row;
    }
  }

  /** Profiles the table holds: its rows less the removed ones. */
  get liveCount(): number {
    return this.count - this.removedCount;
  }

  isRemoved(row: number): boolean {
    return this.offsets[row + 1]! === this.offsets[row]!;
  }

  /**
   * Row `row`'s stored bytes. With 'file' storage the buffer is reused by the next call: copy
   * or consume it first.
   */
  rowBytes(row: number): Buffer {
    if (!(row >= 0 && row < this.count)) throw new RangeError(`row ${row} of ${this.count}`);
    const start = this.offsets[row]!;
    const length = this.offsets[row + 1]! - start;
    if (this.rowBytesInMemory) return this.rowBytesInMemory.subarray(start, start + length);
    const bytes = this.scratch.subarray(0, length);
    readFullyAt(this.fd, bytes, start);
    return bytes;
  }

  /** The row's fields (tests, tools): not on the query path. */
  fields(row: number): ProfileFields {
    const parsed = JSON.parse(`${this.rowBytes(row).toString()}0}`) as { _id: string; name: string; surname: string };
    return { id: parsed._id, name: parsed.name, surname: parsed.surname, attributes: this.attributes.attributesOf(row) };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  readInto(fd, buffer, position);
  return buffer;
}

function readInto(fd: number, target: Uint8Array | Uint32Array, position: number): void {
  readFullyAt(fd, target, position, (message) => new IndexFormatError('ROWS_INVALID', `row table: ${message}`));
}
