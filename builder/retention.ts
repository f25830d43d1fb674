// Retention: old versions and abandoned temporaries go (builder/retire-version.ts); the
// version LATEST names always stays, since it is what a restarting child loads, and so does any
// version a process still maps or holds open (a child serving or loading it, an incremental build).
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { indexesDir, listVersions, readLatest, TEMPORARY_MARKER, temporarySuffix } from '../index-version/format.js';
import { retireVersion } from './retire-version.js';

export const DEFAULT_KEEP = 4;
/** A temporary this old is abandoned (its builder died): nobody is still writing it. */
export const STALE_TMP_MS = 10 * 60 * 1000;

async function newestMtimeMs(entry: string): Promise<number> {
  const info = await stat(entry);
  let newest = info.mtimeMs;
  // A staging dir's own mtime only moves when a file is created; its files move while they grow.
  if (info.isDirectory()) {
    for (const name of await readdir(entry)) {
      try {
        newest = Math.max(newest, (await stat(path.join(entry, name))).mtimeMs);
      } catch {
        // Vanished meanwhile: nothing to learn from it.
      }
    }
  }
  return newest;
}

export interface RetentionResult {
  deletedVersions: string[];
  deletedTemporaries: string[];
  /** Past retention but kept: some process maps or holds them open (a child serving an older version). */
  keptInUse: string[];
}

/**
 * Deletes all but the newest `keep` versions, and temporaries abandoned for STALE_TMP_MS.
 * LATEST's target survives whatever `keep` says: it is what a restarting child loads.
 */
export async function pruneVersions(dataDir: string, keep: number = DEFAULT_KEEP, now: number = Date.now()): Promise<RetentionResult> {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be an integer >= 1, got ${keep}`);
  const root = indexesDir(dataDir);
  const latest = await readLatest(dataDir);
  const versions = await listVersions(dataDir);
  const deletedVersions: string[] = [];
  const keptInUse: string[] = [];
  for (const version of versions.slice(0, Math.max(0, versions.length - keep))) {
    if (version === latest) continue;
    // Renamed to a temporary's name first: out of every reader's sight, and swept if we crash.
    if ((await retireVersion(path.join(root, version), `${version}${temporarySuffix()}`)) === 'in-use') keptInUse.push(version);
    else deletedVersions.push(version);
  }

  const deletedTemporaries: string[] = [];
  let names: string[] = [];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of names) {
    if (!name.includes(TEMPORARY_MARKER)) continue;
    const entry = path.join(root, name);
    try {
      if (now - (await newestMtimeMs(entry)) <= STALE_TMP_MS) continue;
      if ((await retireVersion(entry, `${name}${temporarySuffix()}`)) === 'in-use') keptInUse.push(name);
      else deletedTemporaries.push(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return { deletedVersions, deletedTemporaries, keptInUse };
}
