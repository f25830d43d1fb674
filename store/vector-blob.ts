// A profile's explicit vector as stored: float32 in the host's byte order, 4 bytes a dimension.
import { endianness } from 'node:os';

// The file is read back on the same kind of machine; every target we run on is little-endian.
if (endianness() !== 'LE') throw new Error('the profile store stores float32 little-endian; this host is big-endian');

export function encodeVector(vector: readonly number[]): Buffer {
  const floats = Float32Array.from(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength);
}

/** A copy, so the result is aligned for Float32Array whatever offset SQLite's buffer has. */
export function decodeVector(blob: Buffer): Float32Array {
  if (blob.length % 4 !== 0) throw new RangeError(`vector blob of ${blob.length} bytes is not whole float32s`);
  const floats = new Float32Array(blob.length / 4);
  new Uint8Array(floats.buffer).set(blob);
  return floats;
}
