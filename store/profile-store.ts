// The source of truth for profiles: one SQLite file, written by the main process only. Every put
// and delete takes the next change sequence number (seq) in the same transaction as the row, so a
// reader that asks "what changed since S" can never miss a write or see one twice.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ProfileRejectedError } from '../profiles/errors.js';
import type { Profile } from '../profiles/schema.js';
import { validateProfile } from '../profiles/validate.js';
import { asStoreError, guarded, StoreUnavailableError } from './errors.js';
import { checkReadable, migrate } from './migrations.js';
import { decodeProfileRow, StoreSnapshot } from './snapshot.js';
import { encodeVector } from './vector-blob.js';

export interface StoreOptions {
  /** Dimensions an explicit vector must have; any length when absent. */
  dims?: number;
  /**
   * How long a statement waits for a lock. better-sqlite3 is synchronous, so on the writer this
   * blocks the event loop: kept well under the supervisor's 2 s heartbeat timeout.
   */
  busyTimeoutMs?: number;
  /** Caps the file at this many pages (PRAGMA max_page_count): a quota, and a disk full in tests. */
  maxPages?: number;
}

export interface PutResult {
  seq: number;
  /** false when it replaced a live profile; a put over a deleted id creates it again. */
  created: boolean;
}

/** Seqs fromSeq..toSeq inclusive, one per profile in order; empty (toSeq = fromSeq - 1) for []. */
export interface PutManyResult {
  fromSeq: number;
  toSeq: number;
  created: number;
}

export interface ProfileChange {
  seq: number;
  id: string;
  /** null: deleted. */
  profile: Profile | null;
  vector: Float32Array | null;
  updatedAt: number;
}

/** What the builder's process may do with a store it opened read-only. */
export type ProfileReader = Pick<ProfileStore, 'path' | 'get' | 'currentSeq' | 'changesSince' | 'snapshot' | 'count' | 'close'>;

const WRITER_BUSY_TIMEOUT_MS = 250;
const READER_BUSY_TIMEOUT_MS = 5000;
// A WAL that grew behind a long snapshot is cut back to this once checkpointed.
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;
export const DEFAULT_CHANGES_LIMIT = 1000;

interface ChangeRow {
  seq: number;
  id: string;
  profile: string | null;
  vector: Buffer | null;
  updated_at: number;
}

function isNonNegativeInteger(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

export class ProfileStore {
  #closed = false;
  readonly #dims: number | undefined;
  readonly #busyTimeoutMs: number;
  readonly #statements;
  // Built once: better-sqlite3 wraps each in BEGIN IMMEDIATE … COMMIT, ROLLBACK on a throw.
  readonly #putTransaction;
  readonly #putManyTransaction;
  readonly #deleteTransaction;

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
    readonly readOnly: boolean,
    options: StoreOptions,
  ) {
    this.#dims = options.dims;
    this.#busyTimeoutMs = options.busyTimeoutMs ?? (readOnly ? READER_BUSY_TIMEOUT_MS : WRITER_BUSY_TIMEOUT_MS);
    this.#statements = {
      live: db.prepare('SELECT 1 FROM profiles WHERE id = ? AND profile IS NOT NULL').pluck(),
      get: db.prepare('SELECT profile FROM profiles WHERE id = ? AND profile IS NOT NULL').pluck(),
      nextSeq: db.prepare('UPDATE store_state SET last_seq = last_seq + 1, live_count = live_count + ? RETURNING last_seq').pluck(),
      upsert: db.prepare(
        `INSERT INTO profiles (id, profile, vector, updated_at, seq) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET profile = excluded.profile, vector = excluded.vector,
           updated_at = excluded.updated_at, seq = excluded.seq`,
      ),
      tombstone: db.prepare('UPDATE profiles SET profile = NULL, vector = NULL, updated_at = ?, seq = ? WHERE id = ?'),
      state: db.prepare('SELECT last_seq AS seq, live_count AS count FROM store_state'),
      changes: db.prepare('SELECT seq, id, profile, vector, updated_at FROM profiles WHERE seq > ? ORDER BY seq LIMIT ?'),
    };
    this.#putTransaction = db.transaction((profile: Profile) => this.#write(profile, null));
    this.#putManyTransaction = db.transaction((profiles: readonly Profile[]): PutManyResult => {
      const fromSeq = this.currentSeq() + 1;
      let created = 0;
      for (let index = 0; index < profiles.length; index++) {
        if (this.#write(profiles[index]!, index).created) created++;
      }
      return { fromSeq, toSeq: fromSeq + profiles.length - 1, created };
    });
    this.#deleteTransaction = db.transaction((id: string): { seq: number } | null => {
      if (this.#statements.live.get(id) === undefined) return null;
      const seq = this.#statements.nextSeq.get(-1) as number;
      this.#statements.tombstone.run(Date.now(), seq, id);
      return { seq };
    });
  }

  /** Opens (creating the file and its folder if missing) the one writable store of this process. */
  static open(file: string, options: StoreOptions = {}): ProfileStore {
    let db: Database.Database | undefined;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      db = new Database(file, { timeout: options.busyTimeoutMs ?? WRITER_BUSY_TIMEOUT_MS });
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new StoreUnavailableError('SQLITE_CANTOPEN', `${file} could not be put in WAL mode (got ${String(mode)})`);
      // FULL: an acknowledged write survives a power cut too (NORMAL may lose the last commits),
      // and invariant 7 promises that no result contradicts an acknowledged write.
      db.pragma('synchronous = FULL');
      db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
      migrate(db, file);
      if (options.maxPages !== undefined) db.pragma(`max_page_count = ${Math.trunc(options.maxPages)}`);
      return new ProfileStore(db, file, false, options);
    } catch (err) {
      db?.close();
      throw ProfileStore.#openError(err, file);
    }
  }

  /** For another process (the builder): reads while the owner writes; every write throws SQLITE_READONLY. */
  static openReadOnly(file: string, options: StoreOptions = {}): ProfileStore {
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs ?? READER_BUSY_TIMEOUT_MS });
      checkReadable(db, file);
      return new ProfileStore(db, file, true, options);
    } catch (err) {
      db?.close();
      throw ProfileStore.#openError(err, file);
    }
  }

  static #openError(err: unknown, file: string): unknown {
    const mapped = asStoreError(err);
    if (mapped !== err) return mapped;
    // mkdir's EACCES, ENOSPC, EROFS…: the store cannot be had, as much as a SQLite error says so.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E'))
      return new StoreUnavailableError(code, `cannot open ${file}: ${(err as Error).message}`, { cause: err });
    return err;
  }

  /** Validates, then writes one profile as given (unknown fields included) under the next seq. */
  put(profile: Profile): PutResult {
    return guarded(() => this.#putTransaction.immediate(profile));
  }

  /** All or nothing: one transaction; the first invalid profile or failed write rolls back them all. */
  putMany(profiles: readonly Profile[]): PutManyResult {
    return guarded(() => this.#putManyTransaction.immediate(profiles));
  }

  /** null when there is no live profile with that id; a delete takes no seq then. */
  delete(id: string): { seq: number } | null {
    return guarded(() => this.#deleteTransaction.immediate(id));
  }

  get(id: string): Profile | null {
    const json = guarded(() => this.#statements.get.get(id)) as string | undefined;
    return json === undefined ? null : (JSON.parse(json) as Profile);
  }

  /** The length a profile's own vector must have; undefined when any is taken. */
  get dims(): number | undefined {
    return this.#dims;
  }

  /** The seq of the last write or delete; 0 for a store never written. */
  currentSeq(): number {
    return guarded(() => (this.#statements.state.get() as { seq: number }).seq);
  }

  /** Live profiles. */
  count(): number {
    return guarded(() => (this.#statements.state.get() as { count: number }).count);
  }

  /**
   * Ids written or deleted after `seq`, in seq order, each once with its latest state (a later
   * write replaces an earlier one, so seqs may skip). Page on with the last seq returned.
   * Materialised (at most `limit`) so no statement stays open across the caller's own writes.
   */
  changesSince(seq: number, limit = DEFAULT_CHANGES_LIMIT): ProfileChange[] {
    if (!isNonNegativeInteger(seq)) throw new RangeError(`seq must be a whole number >= 0, got ${seq}`);
    if (!isNonNegativeInteger(limit) || limit < 1) throw new RangeError(`limit must be a whole number >= 1, got ${limit}`);
    const rows = guarded(() => this.#statements.changes.all(seq, limit)) as ChangeRow[];
    return rows.map((row) => ({ seq: row.seq, id: row.id, ...decodeProfileRow(row), updatedAt: row.updated_at }));
  }

  /** Every live profile as of one seq, on a read-only connection of its own: close() it when done. */
  snapshot(): StoreSnapshot {
    if (this.#closed) throw new StoreUnavailableError('STORE_CLOSED', 'the store is closed');
    return StoreSnapshot.open(this.path, this.#busyTimeoutMs);
  }

  // The hook of store/import-transaction.ts: one write transaction that spans an import's async reading.
  /** BEGIN IMMEDIATE (takes the write lock), COMMIT, or ROLLBACK (a no-op when SQLite already rolled back) on this connection. */
  controlTransaction(statement: 'BEGIN IMMEDIATE' | 'COMMIT' | 'ROLLBACK'): void {
    if (statement === 'ROLLBACK' && !this.db.inTransaction) return;
    guarded(() => this.db.exec(statement));
  }

  /** put's per-record write (validation included) inside the transaction controlTransaction opened. */
  writeInTransaction(profile: Profile): PutResult {
    if (!this.db.inTransaction) throw new Error('writeInTransaction needs a transaction opened with controlTransaction');
    return guarded(() => this.#write(profile, null));
  }

  /** Idempotent; later calls throw StoreUnavailableError (STORE_CLOSED). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.db.close();
  }

  /** One write inside the caller's transaction. */
  #write(profile: Profile, index: number | null): PutResult {
    const check = validateProfile(profile, { dims: this.#dims });
    if (!check.ok) throw new ProfileRejectedError(check.problems, index);
    let json: string;
    try {
      json = JSON.stringify(profile);
    } catch (err) {
      // A BigInt or a cycle from an import: refused like any other bad field, not a 500.
      const message = `the profile cannot be written as JSON: ${(err as Error).message}`;
      throw new ProfileRejectedError([{ code: 'TANDEM_ERR_BAD_FIELD', field: '', message }], index);
    }
    const vector = profile.vector === undefined ? null : encodeVector(profile.vector);
    const created = this.#statements.live.get(profile._id) === undefined;
    const seq = this.#statements.nextSeq.get(created ? 1 : 0) as number;
    this.#statements.upsert.run(profile._id, json, vector, Date.now(), seq);
    return { seq, created };
  }
}
