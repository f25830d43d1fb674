// Where a build reads its profiles from: the profile store (the normal path: one consistent
// snapshot at one change seq) or a JSONL file (`--source`, the original demo path). Both give the
// validator one record at a time, so a million profiles never exist as one array.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ProfileStore } from '../store/profile-store.js';
import { type SnapshotChange, StoreSnapshot } from '../store/snapshot.js';
import { BuilderError } from './errors.js';

/** A file line (parsed by the validator) or a stored profile (already an object). */
export type SourceRecord = { position: number; text: string } | { position: number; value: unknown };

export interface OpenedSource {
  /** What the manifest and the log call it: an absolute path. */
  label: string;
  /** The store's change seq the snapshot is at; absent for a file. */
  storeSeq?: number;
  /** A store's changes after an earlier seq, as of the same snapshot (what an incremental build reads). */
  changes?: {
    countSince(seq: number): number;
    since(seq: number): Iterable<SnapshotChange>;
  };
  records(): AsyncIterable<SourceRecord>;
  close(): void;
}

// The store's writer commits in milliseconds; a build start can wait that long for its read mark.
const SNAPSHOT_BUSY_TIMEOUT_MS = 5000;

export type ProfileSource = { kind: 'file'; path: string } | { kind: 'store'; path: string };

export async function openSource(source: ProfileSource): Promise<OpenedSource> {
  return source.kind === 'file' ? openFile(path.resolve(source.path)) : openStore(path.resolve(source.path));
}

async function openFile(file: string): Promise<OpenedSource> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
  } catch (err) {
    throw new BuilderError('TANDEM_ERR_SOURCE_UNREADABLE', `${file}: ${(err as Error).message}`, { cause: err });
  }
  // Opened when read: readline drops the lines it reads before anyone iterates it.
  let input: ReturnType<typeof createReadStream> | undefined;
  let lines: ReturnType<typeof createInterface> | undefined;
  return {
    label: file,
    async *records() {
      input = createReadStream(file);
      lines = createInterface({ input, crlfDelay: Infinity });
      let position = 0;
      for await (const text of lines) yield { position: ++position, text };
    },
    close() {
      lines?.close();
      input?.destroy();
    },
  };
}

async function openStore(file: string): Promise<OpenedSource> {
  let snapshot: StoreSnapshot;
  try {
    snapshot = StoreSnapshot.open(file, SNAPSHOT_BUSY_TIMEOUT_MS);
  } catch (err) {
    throw new BuilderError('TANDEM_ERR_SOURCE_UNREADABLE', `${file}: ${(err as Error).message}`, { cause: err });
  }
  const opened = snapshot;
  return {
    label: file,
    storeSeq: opened.seq,
    changes: {
      countSince: (seq) => opened.changedSince(seq),
      since: (seq) => opened.changesSince(seq),
    },
    async *records() {
      let position = 0;
      for (const row of opened.profiles()) yield { position: ++position, value: row.profile };
    },
    close: () => opened.close(),
  };
}

/** The store's change seq now, for a watcher deciding whether to build; null while it cannot be read. */
export function storeSeqNow(file: string): number | null {
  try {
    const reader = ProfileStore.openReadOnly(file);
    try {
      return reader.currentSeq();
    } finally {
      reader.close();
    }
  } catch {
    return null;
  }
}
