// A consistent view of every live profile at one seq, for the builder. It holds a read transaction
// on a connection of its own: in WAL mode the writer goes on committing, and the view does not move.
import Database from 'better-sqlite3';
import type { Profile } from '../profiles/schema.js';
import { guarded } from './errors.js';
import { checkReadable } from './migrations.js';
import { decodeVector } from './vector-blob.js';

export interface SnapshotRow {
  id: string;
  /** The seq of this profile's last write (<= the snapshot's seq). */
  seq: number;
  profile: Profile;
  vector: Float32Array | null;
}

/** A profile written or deleted after some seq, as of the snapshot: `profile` null when deleted. */
export interface SnapshotChange {
  id: string;
  seq: number;
  profile: Profile | null;
  vector: Float32Array | null;
}

/** A profiles row's stored columns as values: the profile (null for a tombstone) and its own vector. */
export function decodeProfileRow(row: { profile: string | null; vector: Buffer | null }): {
  profile: Profile | null;
  vector: Float32Array | null;
} {
  return {
    profile: row.profile === null ? null : (JSON.parse(row.profile) as Profile),
    vector: row.vector === null ? null : decodeVector(row.vector),
  };
}

interface StoredRow {
  id: string;
  seq: number;
  profile: string;
  vector: Buffer | null;
}

export class StoreSnapshot {
  #closed = false;

  private constructor(
    private readonly db: Database.Database,
    /** Every write up to this seq is in the view, none after it. */
    readonly seq: number,
    /** Live profiles in the view. */
    readonly count: number,
  ) {}

  static open(path: string, busyTimeoutMs: number): StoreSnapshot {
    return guarded(() => {
      const db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
      try {
        checkReadable(db, path);
        // A deferred BEGIN takes its read mark at the first SELECT: seq, count and rows share it.
        db.exec('BEGIN');
        const state = db.prepare('SELECT last_seq AS seq, live_count AS count FROM store_state').get() as { seq: number; count: number };
        return new StoreSnapshot(db, state.seq, state.count);
      } catch (err) {
        db.close();
        throw err;
      }
    });
  }

  /** Live profiles in storage order; may be iterated more than once while the snapshot is open. */
  *profiles(): Generator<SnapshotRow> {
    if (this.#closed) throw new Error('snapshot is closed');
    const rows = this.db
      .prepare('SELECT id, seq, profile, vector FROM profiles WHERE profile IS NOT NULL')
      .iterate() as IterableIterator<StoredRow>;
    for (const row of rows) {
      const { profile, vector } = decodeProfileRow(row);
      yield { id: row.id, seq: row.seq, profile: profile!, vector };
    }
  }

  /** Profiles written or deleted after `seq` (tombstones included), as of this snapshot. */
  changedSince(seq: number): number {
    if (this.#closed) throw new Error('snapshot is closed');
    return guarded(
      () => (this.db.prepare('SELECT count(*) AS changed FROM profiles WHERE seq > ?').get(seq) as { changed: number }).changed,
    );
  }

  /** Each profile written or deleted after `seq`, once, in seq order: an incremental build's input. */
  *changesSince(seq: number): Generator<SnapshotChange> {
    if (this.#closed) throw new Error('snapshot is closed');
    const rows = this.db
      .prepare('SELECT id, seq, profile, vector FROM profiles WHERE seq > ? ORDER BY seq')
      .iterate(seq) as IterableIterator<{ id: string; seq: number; profile: string | null; vector: Buffer | null }>;
    for (const row of rows) yield { id: row.id, seq: row.seq, ...decodeProfileRow(row) };
  }

  /** Ends the read transaction, so checkpoints can reclaim the WAL behind it. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.db.close();
  }
}
