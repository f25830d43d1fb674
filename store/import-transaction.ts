// An import's one write transaction: BEGIN IMMEDIATE before the first record, COMMIT after the
// last, so a file goes in whole or not at all (a process killed midway leaves only WAL frames that
// SQLite never counts as committed). Each good record is written by the store's own per-record
// logic; a bad one is refused with its problems and the transaction goes on without it.
import { type ProfileProblem, ProfileRejectedError } from '../profiles/errors.js';
import type { Profile } from '../profiles/schema.js';
import type { ProfileStore } from './profile-store.js';

export type ImportWrite = { ok: true; seq: number; created: boolean } | { ok: false; problems: ProfileProblem[] };

export class ImportTransaction {
  #state: 'open' | 'committed' | 'rolledBack' = 'open';

  private constructor(
    private readonly store: ProfileStore,
    /** Live profiles when the transaction began, read under its lock: --if-empty cannot race another writer. */
    readonly countBefore: number,
  ) {}

  /** Takes the store's write lock now (StoreUnavailableError when another writer holds it past the busy timeout). */
  static begin(store: ProfileStore): ImportTransaction {
    store.controlTransaction('BEGIN IMMEDIATE');
    try {
      return new ImportTransaction(store, store.count());
    } catch (err) {
      store.controlTransaction('ROLLBACK');
      throw err;
    }
  }

  get state(): 'open' | 'committed' | 'rolledBack' {
    return this.#state;
  }

  /** Writes one record, or says why the store refuses it; any other failure is thrown (roll back then). */
  write(value: unknown): ImportWrite {
    this.#assertOpen();
    try {
      const { seq, created } = this.store.writeInTransaction(value as Profile);
      return { ok: true, seq, created };
    } catch (err) {
      // Refused before any statement ran: the transaction holds nothing of this record.
      if (err instanceof ProfileRejectedError) return { ok: false, problems: err.problems };
      throw err;
    }
  }

  /** Makes every written record visible at once; on a throw the transaction is still open: roll it back. */
  commit(): void {
    this.#assertOpen();
    this.store.controlTransaction('COMMIT');
    this.#state = 'committed';
  }

  /** Drops every record written; idempotent, and a no-op after commit. */
  rollback(): void {
    if (this.#state !== 'open') return;
    this.#state = 'rolledBack';
    this.store.controlTransaction('ROLLBACK');
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new Error(`the import transaction is ${this.#state}`);
  }
}
