// Positional reads that fill the whole target or throw. readSync may return fewer bytes than asked
// (at the end of a file, or of one cut short under us), and a short read must never pass for data.
import { readSync } from 'node:fs';

export function readFullyAt(
  fd: number,
  target: ArrayBufferView,
  position: number,
  onShort: (message: string) => Error = (message) => new Error(message),
): void {
  const bytes = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
  let done = 0;
  while (done < bytes.length) {
    const read = readSync(fd, bytes, done, bytes.length - done, position + done);
    if (read === 0)
      throw onShort(
        `file ended at byte ${position + done}, ${bytes.length - done} bytes short of a ${bytes.length}-byte read at ${position}`,
      );
    done += read;
  }
}
