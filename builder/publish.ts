// Atomic publish of an index version. A reader either sees a complete, checksummed version
// directory or nothing: files are written under a `.tmp-` name that listVersions() never
// matches, fsynced, and only then renamed into place; LATEST is replaced the same way. A crash
// at any point leaves at worst an invisible temporary, which retention removes later.
import { type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  compareVersions,
  FORMAT,
  INDEX_FILE,
  indexesDir,
  isVersionName,
  LATEST_FILE,
  listVersions,
  MANIFEST_FILE,
  type Manifest,
  ROWS_FILE,
  readLatest,
  temporarySuffix,
  VECTORS_FILE,
  versionDir,
} from '../index-version/format.js';
import type { ProfileFields } from '../index-version/row-table.js';
import { encodeRowTable } from '../index-version/row-table-writer.js';
import { sha256File } from '../index-version/verify.js';
import { BuilderError } from './errors.js';
import { stopHereIfAsked } from './failpoints.js';
import { DEFAULT_KEEP, pruneVersions } from './retention.js';

// A temporary this old belongs to a builder that died; a live build touches its files far more often.

const PUBLISH_ATTEMPTS = 5;

/** What the builder knows about a version before it has a name, a time and checksums. */
export type ManifestDraft = Omit<Manifest, 'format' | 'version' | 'created' | 'files'>;

export interface StagingArea {
  dataDir: string;
  dir: string;
}

type PublishLogger = Pick<Logger, 'info' | 'warn'>;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `v20261123T194800123Z`: UTC, millisecond resolution, sorts as a string in time order. */
export function formatVersionName(date: Date): string {
  return (
    `v${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1, 2)}${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}${pad(date.getUTCMinutes(), 2)}${pad(date.getUTCSeconds(), 2)}${pad(date.getUTCMilliseconds(), 3)}Z`
  );
}

export function parseVersionName(name: string): Date {
  if (!isVersionName(name)) throw new BuilderError('TANDEM_ERR_INVALID_VERSION', JSON.stringify(name));
  const n = (from: number, to: number) => Number(name.slice(from, to));
  return new Date(Date.UTC(n(1, 5), n(5, 7) - 1, n(7, 9), n(10, 12), n(12, 14), n(14, 16), n(16, 19)));
}

/**
 * The name for a version published at `now`. Readers order versions by name, so a new one must
 * sort after every existing one even if the clock stepped back or two publishes share a millisecond.
 */
export function newVersionName(existing: readonly string[], now: Date): string {
  const candidate = formatVersionName(now);
  let newest: string | undefined;
  for (const name of existing) {
    if (isVersionName(name) && (newest === undefined || compareVersions(name, newest) > 0)) newest = name;
  }
  if (newest === undefined || compareVersions(candidate, newest) > 0) return candidate;
  return formatVersionName(new Date(parseVersionName(newest).getTime() + 1));
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename or a new entry in `dir` durable. Some platforms cannot fsync a directory: best effort there. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await handle?.close();
  }
}

async function writeDurably(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** An invisible directory to write a version's files into. */
export async function createStaging(dataDir: string, now: Date = new Date()): Promise<StagingArea> {
  const root = indexesDir(dataDir);
  await mkdir(root, { recursive: true });
  const dir = path.join(root, `${formatVersionName(now)}${temporarySuffix()}`);
  await mkdir(dir);
  return { dataDir, dir };
}

export async function discardStaging(staging: StagingArea): Promise<void> {
  await rm(staging.dir, { recursive: true, force: true });
}

async function replaceLatest(dataDir: string, version: string): Promise<void> {
  const root = indexesDir(dataDir);
  const tmp = path.join(root, `${LATEST_FILE}${temporarySuffix()}`);
  try {
    await writeDurably(tmp, `${version}\n`);
    stopHereIfAsked('latest-temp-written');
    await rename(tmp, path.join(root, LATEST_FILE));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(root);
}

/** Points LATEST at `version` by write-temp-and-rename, unless it already names a newer one. */
export async function writeLatest(dataDir: string, version: string): Promise<boolean> {
  const current = await readLatest(dataDir);
  if (current !== null && compareVersions(current, version) >= 0) return false;
  await replaceLatest(dataDir, version);
  return true;
}

/**
 * Moves LATEST to the newest complete version. Check-then-rename is not atomic, so two
 * publishers racing could leave the older name last; re-checking after every write closes
 * that: whoever writes last has verified afterwards that nothing newer exists. (Only complete
 * versions are ever renamed into place, so the newest name is always safe to point at.)
 */
export async function advanceLatest(dataDir: string): Promise<string | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const newest = (await listVersions(dataDir)).at(-1);
    if (newest === undefined) return null;
    const current = await readLatest(dataDir);
    if (current !== null && compareVersions(current, newest) >= 0) return current;
    await replaceLatest(dataDir, newest);
  }
  return readLatest(dataDir);
}

export interface CommitOptions {
  keep?: number;
  logger?: PublishLogger;
  /** Injectable clock for tests. */
  now?: () => Date;
}

/**
 * Turns a staging directory holding index.usearch, vectors.f32 and rows.bin into a
 * published version: checksums, manifest, fsync, rename, LATEST, retention.
 */
export async function commitStaging(staging: StagingArea, draft: ManifestDraft, options: CommitOptions = {}): Promise<Manifest> {
  const now = options.now ?? (() => new Date());
  const files: Manifest['files'] = {};
  for (const name of [INDEX_FILE, VECTORS_FILE, ROWS_FILE]) {
    const file = path.join(staging.dir, name);
    await fsyncFile(file);
    files[name] = { bytes: (await stat(file)).size, sha256: await sha256File(file) };
  }
  stopHereIfAsked('files-synced');

  let manifest: Manifest | undefined;
  for (let attempt = 0; attempt < PUBLISH_ATTEMPTS && !manifest; attempt++) {
    const created = now();
    const version = newVersionName(await listVersions(staging.dataDir), created);
    const candidate: Manifest = { format: FORMAT, version, created: created.toISOString(), ...draft, files };
    await writeDurably(path.join(staging.dir, MANIFEST_FILE), `${JSON.stringify(candidate, null, 2)}\n`);
    await fsyncDir(staging.dir);
    stopHereIfAsked('manifest-written');
    try {
      await rename(staging.dir, versionDir(staging.dataDir, version));
      manifest = candidate;
      stopHereIfAsked('renamed');
    } catch (err) {
      // Another builder took the name between listVersions() and rename(): pick the next one.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  }
  if (!manifest) throw new BuilderError('TANDEM_ERR_PUBLISH_CONFLICT', `${PUBLISH_ATTEMPTS} attempts in ${indexesDir(staging.dataDir)}`);
  await fsyncDir(indexesDir(staging.dataDir));

  const latest = await advanceLatest(staging.dataDir);
  stopHereIfAsked('latest-moved');
  if (latest !== manifest.version) {
    options.logger?.warn({ version: manifest.version, latest }, 'a newer version was published meanwhile; LATEST names that one');
  }

  try {
    const pruned = await pruneVersions(staging.dataDir, options.keep ?? DEFAULT_KEEP);
    if (pruned.deletedVersions.length + pruned.deletedTemporaries.length > 0) {
      options.logger?.info(pruned, 'retention');
    }
  } catch (err) {
    // The version is published; a failed cleanup must not turn that into a failure.
    options.logger?.warn({ err }, 'retention failed');
  }
  return manifest;
}

export interface PublishInput {
  dataDir: string;
  /** Anything with usearch's save(path): the built index. */
  index: { save(file: string): void };
  /** count × dims, row i = key i. */
  vectors: Float32Array;
  profiles: readonly ProfileFields[];
  draft: ManifestDraft;
}

/** Publishes a version from data held in memory (small builds, test fixtures). */
export async function publishVersion(input: PublishInput, options: CommitOptions = {}): Promise<Manifest> {
  const staging = await createStaging(input.dataDir);
  try {
    input.index.save(path.join(staging.dir, INDEX_FILE));
    await writeDurably(path.join(staging.dir, VECTORS_FILE), vectorBytes(input.vectors));
    await writeDurably(path.join(staging.dir, ROWS_FILE), encodeRowTable(input.profiles));
    return await commitStaging(staging, input.draft, options);
  } catch (err) {
    await discardStaging(staging);
    throw err;
  }
}

/** The bytes of a Float32Array as vectors.f32 stores them: little-endian. */
export function vectorBytes(vectors: Float32Array): Uint8Array {
  // Typed arrays use the host byte order; every platform Node ships on is little-endian, so a
  // copy-free view is right, and a big-endian host fails loudly instead of writing garbage.
  if (endianness() !== 'LE') throw new Error('vectors.f32 is little-endian; big-endian hosts are not supported');
  return new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength);
}
