// The builder's side of rows.bin (its layout is in row-table.ts): a child opens row tables but
// never writes one, so the writer lives apart from the reader.
import { AttributeColumns } from './attributes.js';
import { encodeRow, hashBytes, ID_PREFIX, MAGIC, MAX_ROW_BYTES, type ProfileFields, slotCountFor, TRAILER_BYTES } from './row-table.js';

const MAX_ROW_TABLE_BYTES = 0xffff_ffff;

/**
 * Streams a row table out: `add()` returns each row's bytes for the caller to write, `finish()` the
 * tables and trailer that end the file. Holds 8 bytes per row (offset and id hash), never the rows.
 */
export class RowTableWriter {
  private offsets: Uint32Array = new Uint32Array(1024);
  private hashes: Uint32Array = new Uint32Array(1024);
  private readonly removed: number[] = [];
  private readonly attributes = new AttributeColumns(1024);
  private count = 0;
  private rowBytes = 0;

  /** Keeps row numbers stable across an incremental build: the row is there, empty and unfindable. */
  addRemoved(): void {
    this.reserve();
    this.offsets[this.count] = this.rowBytes;
    this.removed.push(this.count);
    this.attributes.push(undefined);
    this.count++;
  }

  private reserve(): void {
    if (this.count + 1 >= this.offsets.length) {
      this.offsets = grow(this.offsets);
      this.hashes = grow(this.hashes);
    }
  }

  add(fields: ProfileFields): Buffer {
    const { bytes, idEnd } = encodeRow(fields);
    if (bytes.length > MAX_ROW_BYTES)
      throw new RangeError(`row for id ${JSON.stringify(fields.id)} is ${bytes.length} bytes; the limit is ${MAX_ROW_BYTES}`);
    if (this.rowBytes + bytes.length > MAX_ROW_TABLE_BYTES) throw new RangeError('row table over 4 GiB: offsets are 32-bit');
    this.reserve();
    this.offsets[this.count] = this.rowBytes;
    this.hashes[this.count] = hashBytes(bytes, ID_PREFIX.length, idEnd);
    this.attributes.push(fields.attributes);
    this.count++;
    this.rowBytes += bytes.length;
    return bytes;
  }

  get rows(): number {
    return this.count;
  }

  finish(): Buffer {
    const count = this.count;
    const slotCount = slotCountFor(count);
    const pad = (4 - (this.rowBytes % 4)) % 4;
    const offsets = new Uint32Array(count + 1);
    offsets.set(this.offsets.subarray(0, count));
    offsets[count] = this.rowBytes;
    const slots = new Uint32Array(slotCount);
    const mask = slotCount - 1;
    let nextRemoved = 0;
    for (let row = 0; row < count; row++) {
      if (this.removed[nextRemoved] === row) {
        nextRemoved++;
        continue;
      }
      let slot = this.hashes[row]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = row + 1;
    }
    const attributes = this.attributes.encode();
    const trailer = Buffer.alloc(TRAILER_BYTES);
    MAGIC.copy(trailer, 0);
    trailer.writeUInt32LE(count, MAGIC.length);
    trailer.writeUInt32LE(slotCount, MAGIC.length + 4);
    trailer.writeUInt32LE(this.rowBytes, MAGIC.length + 8);
    trailer.writeUInt32LE(attributes.length, MAGIC.length + 12);
    return Buffer.concat([Buffer.alloc(pad), u32Bytes(offsets), u32Bytes(slots), attributes, trailer]);
  }
}

function grow(array: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

function u32Bytes(array: Uint32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/** A whole row table in one buffer (small builds, test fixtures). */
export function encodeRowTable(rows: Iterable<ProfileFields>): Buffer {
  const writer = new RowTableWriter();
  const parts: Buffer[] = [];
  for (const row of rows) parts.push(writer.add(row));
  parts.push(writer.finish());
  return Buffer.concat(parts);
}
