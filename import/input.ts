// The bytes an import reads: a file, or standard input for `-`. The first chunk is read at open,
// so a missing file fails before any work and the format can be told from the first bytes.
import { open } from 'node:fs/promises';
import { ImportError } from './import-errors.js';

export interface Input {
  /** The path, or "standard input". */
  readonly name: string;
  /** Size of a regular file, for progress; null for a pipe or a terminal. */
  readonly totalBytes: number | null;
  /** The first bytes of the input (empty for an empty input). */
  readonly head: Buffer;
  /** Bytes handed out by chunks() so far. */
  readonly bytesRead: number;
  /** The whole input from its first byte; once. */
  chunks(): AsyncIterable<Buffer>;
}

function unreadable(name: string, err: unknown): ImportError {
  return new ImportError('TANDEM_ERR_IMPORT_UNREADABLE', `cannot read ${name}: ${(err as Error).message}`, { cause: err });
}

class StreamInput implements Input {
  #bytesRead = 0;
  #taken = false;

  constructor(
    readonly name: string,
    readonly totalBytes: number | null,
    readonly head: Buffer,
    private readonly rest: AsyncIterator<Buffer>,
  ) {}

  get bytesRead(): number {
    return this.#bytesRead;
  }

  async *chunks(): AsyncGenerator<Buffer> {
    if (this.#taken) throw new Error(`${this.name} was already read`);
    this.#taken = true;
    if (this.head.length > 0) {
      this.#bytesRead += this.head.length;
      yield this.head;
    }
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await this.rest.next();
      } catch (err) {
        throw unreadable(this.name, err);
      }
      if (next.done) return;
      this.#bytesRead += next.value.length;
      yield next.value;
    }
  }
}

async function firstChunk(name: string, chunks: AsyncIterator<Buffer>): Promise<Buffer> {
  try {
    const first = await chunks.next();
    return first.done ? Buffer.alloc(0) : first.value;
  } catch (err) {
    throw unreadable(name, err);
  }
}

/** `-` is standard input; anything else a path, which must be a regular file. */
export async function openInput(file: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<Input> {
  if (file === '-') {
    const chunks = (stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    return new StreamInput('standard input', null, await firstChunk('standard input', chunks), chunks);
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw unreadable(file, err);
  }
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    throw new ImportError('TANDEM_ERR_IMPORT_UNREADABLE', `cannot read ${file}: not a regular file`);
  }
  const chunks = handle.createReadStream()[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new StreamInput(file, info.size, await firstChunk(file, chunks), chunks);
}

/** The whole input in memory (a pickle is read whole). */
export async function readWhole(input: Input): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of input.chunks()) parts.push(chunk);
  return Buffer.concat(parts);
}
