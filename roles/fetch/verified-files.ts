// Every version is fetched twice: once by the child that is about to answer with it, and seconds
// later by the other child, as the hot standby. Both hashed all of it (1.26 GB at 1M profiles)
// while the answerer served on the same cores. A version is immutable once published, so the
// second hash can only repeat the first: this remembers a file's hash together with the identity
// of what was hashed (device, inode, size, modification and status-change times, in ns). Any
// write, truncation or replacement changes the status-change time, which no user can set (the
// kernel stamps it with a clock of a few ms resolution, and a version is fetched only after its
// publish's fsync, rename and LATEST), so a file that still matches is the file that was hashed,
// and its bytes need not be read again.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HashFiles } from '../../index-version/verify.js';

interface Identity {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

interface VerifiedRecord extends Identity {
  file: string;
  sha256: string;
}

/** What the last call did, for the fetch's log line. */
export interface VerifiedStats {
  hashed: number;
  remembered: number;
}

function identityOf(file: string): Identity | null {
  try {
    const s = statSync(file, { bigint: true });
    return { dev: String(s.dev), ino: String(s.ino), size: String(s.size), mtimeNs: String(s.mtimeNs), ctimeNs: String(s.ctimeNs) };
  } catch {
    return null;
  }
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

function recordName(file: string): string {
  return `${createHash('sha256').update(path.resolve(file)).digest('hex').slice(0, 32)}.json`;
}

function readRecord(dir: string, file: string): VerifiedRecord | null {
  try {
    const record = JSON.parse(readFileSync(path.join(dir, recordName(file)), 'utf8')) as VerifiedRecord;
    return record.file === path.resolve(file) ? record : null;
  } catch {
    return null;
  }
}

/** Written under a temporary name and renamed: the other child may read it at any moment. */
function writeRecord(dir: string, record: VerifiedRecord): void {
  const target = path.join(dir, recordName(record.file));
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(record));
  renameSync(temporary, target);
}

/** Records of files that no longer exist (versions retention deleted) go, so the folder stays small. */
function pruneRecords(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    try {
      const record = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as VerifiedRecord;
      if (identityOf(record.file) === null) unlinkSync(path.join(dir, name));
    } catch {
      // Being replaced by the other child, or already pruned by it.
    }
  }
}

/**
 * Wraps `hashFiles` so that a file whose identity matches a record in `dir` is not read again.
 * `dir` must be private to the service (the supervisor's 0700 runtime folder): a record there is
 * trusted. A file that changed while it was hashed is not remembered.
 */
export function rememberVerified(hashFiles: HashFiles, dir: string): HashFiles & { lastStats: VerifiedStats } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const wrapped = async (files: string[]): Promise<string[]> => {
    const before = files.map(identityOf);
    const hashes: (string | null)[] = files.map((file, i) => {
      const record = readRecord(dir, file);
      return record && before[i] && sameIdentity(record, before[i]) ? record.sha256 : null;
    });
    const toHash = files.filter((_, i) => hashes[i] === null);
    const fresh = toHash.length > 0 ? await hashFiles(toHash) : [];
    let next = 0;
    files.forEach((file, i) => {
      if (hashes[i] !== null) return;
      const sha256 = fresh[next++]!;
      hashes[i] = sha256;
      const identity = before[i];
      const after = identityOf(file);
      if (identity && after && sameIdentity(identity, after)) writeRecord(dir, { file: path.resolve(file), ...identity, sha256 });
    });
    wrapped.lastStats = { hashed: toHash.length, remembered: files.length - toHash.length };
    if (toHash.length > 0) pruneRecords(dir);
    return hashes as string[];
  };
  wrapped.lastStats = { hashed: 0, remembered: 0 } as VerifiedStats;
  return wrapped;
}
