// The store's schema, as the steps that build it: `PRAGMA user_version` counts the steps applied,
// so opening an older file runs the missing ones and a newer file is refused, never misread.
import type Database from 'better-sqlite3';
import { StoreTooNewError } from './errors.js';

const MIGRATIONS: readonly string[] = [
  // 1. One row per profile. A delete keeps its row with profile NULL (a tombstone), so a reader
  //    asking what changed since seq S sees it; seq is UNIQUE, so that question is an index range.
  //    last_seq lives apart from the rows, so a seq is never reused even if tombstones are purged.
  `CREATE TABLE profiles (
     id TEXT PRIMARY KEY NOT NULL,
     profile TEXT,
     vector BLOB,
     updated_at INTEGER NOT NULL,
     seq INTEGER NOT NULL UNIQUE,
     CHECK (profile IS NOT NULL OR vector IS NULL)
   );
   CREATE TABLE store_state (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     last_seq INTEGER NOT NULL,
     live_count INTEGER NOT NULL
   );
   INSERT INTO store_state (singleton, last_seq, live_count) VALUES (1, 0, 0);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersionOf(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings a writable store up to SCHEMA_VERSION in one transaction: all steps or none. */
export function migrate(db: Database.Database, path: string): void {
  const found = schemaVersionOf(db);
  if (found > SCHEMA_VERSION) throw new StoreTooNewError(path, found, SCHEMA_VERSION);
  if (found === SCHEMA_VERSION) return;
  db.transaction(() => {
    for (let step = found; step < SCHEMA_VERSION; step++) {
      db.exec(MIGRATIONS[step]!);
      db.pragma(`user_version = ${step + 1}`);
    }
  }).immediate();
}

/** A reader cannot migrate: it needs the writer to have opened the file at this version first. */
export function checkReadable(db: Database.Database, path: string): void {
  const found = schemaVersionOf(db);
  if (found > SCHEMA_VERSION) throw new StoreTooNewError(path, found, SCHEMA_VERSION);
  if (found < SCHEMA_VERSION) throw new Error(`${path} has schema version ${found}; open it with the main process first to migrate it`);
}
