// A write stream the builder can await without ever leaving an 'error' event unheard: a plain
// WriteStream that fails (ENOSPC, or a write racing a destroy) with no listener would crash the
// whole process, and in service mode that process is the thing that must keep running.
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';

export class FileSink {
  readonly #stream: WriteStream;
  #error: Error | undefined;

  constructor(readonly file: string) {
    this.#stream = createWriteStream(file);
    this.#stream.on('error', (err) => {
      this.#error ??= err;
    });
  }

  /** Resolves once the chunk is buffered and the stream is below its high-water mark. */
  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.#error) throw this.#error;
    if (!this.#stream.write(chunk)) await once(this.#stream, 'drain');
    if (this.#error) throw this.#error;
  }

  /** Flushes and closes; rejects with the first error the stream met. */
  async close(): Promise<void> {
    if (this.#error) throw this.#error;
    this.#stream.end();
    await once(this.#stream, 'close');
    if (this.#error) throw this.#error;
  }

  /**
   * Gives up on the file: pending data is dropped, and so are the errors that causes. Resolves
   * when the descriptor is closed, so a caller can then remove the directory without a still-
   * opening stream recreating the file behind its back.
   */
  async abort(): Promise<void> {
    if (this.#stream.closed) return;
    const closed = new Promise<void>((resolve) => this.#stream.once('close', () => resolve()));
    this.#stream.destroy();
    await closed;
  }
}
