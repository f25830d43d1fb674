// The on-disk layout of one index version, shared by the builder (writes it) and the roles
// (read it). One module so the two sides cannot drift apart.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Pace } from '../roles/fetch/pace.js';

export const MANIFEST_FILE = 'manifest.json';
export const INDEX_FILE = 'index.usearch';
export const VECTORS_FILE = 'vectors.f32';
export const ROWS_FILE = 'rows.bin';
export const LATEST_FILE = 'LATEST';
// /2: profile rows moved from profiles.json to the binary rows.bin (index-version/row-table.ts).
export const FORMAT = 'tandem-index/2';

export type Metric = 'cos' | 'ip';
export type Quantization = 'f32' | 'f16' | 'i8';

export interface EngineParams {
  engine: 'usearch';
  metric: Metric;
  quantization: Quantization;
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
}

export type SkipReason =
  | 'invalid_json'
  | 'missing_id'
  | 'duplicate_id'
  | 'wrong_dimensions'
  | 'non_finite'
  | 'zero_vector'
  | 'vectorizer_error'
  | 'too_long';

export interface SkippedRecord {
  line: number;
  id: string | null;
  reason: SkipReason;
  detail: string;
}

/** How the builder chose expansionSearch: recall@k of sampled rows against an exact scan, per ef tried. */
export interface SearchCalibration {
  expansionSearch: number;
  target: number;
  sample: number;
  k: number;
  tried: { expansionSearch: number; recall: number }[];
}

export interface Manifest {
  format: typeof FORMAT;
  version: string;
  created: string;
  count: number;
  dims: number;
  metric: Metric;
  params: EngineParams;
  vectorizer: string;
  source: string;
  buildMs: number;
  calibration?: SearchCalibration;
  files: Record<string, { bytes: number; sha256: string }>;
  skipped: { total: number; byReason: Partial<Record<SkipReason, number>>; samples: SkippedRecord[] };
}

export function indexesDir(dataDir: string): string {
  return path.join(dataDir, 'indexes');
}

export function versionDir(dataDir: string, version: string): string {
  return path.join(indexesDir(dataDir), version);
}

// Versions are compared by name: the builder makes names that sort in publish order.
export function compareVersions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const VERSION_NAME = /^v\d{8}T\d{9}Z$/;
export function isVersionName(name: string): boolean {
  return VERSION_NAME.test(name);
}

/** The version LATEST names, or null when nothing has been published yet. */
export async function readLatest(dataDir: string): Promise<string | null> {
  try {
    const name = (await readFile(path.join(indexesDir(dataDir), LATEST_FILE), 'utf8')).trim();
    return isVersionName(name) ? name : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Complete (renamed) version directories, oldest first; temporaries never match. */
export async function listVersions(dataDir: string): Promise<string[]> {
  try {
    const names = await readdir(indexesDir(dataDir));
    return names.filter(isVersionName).sort(compareVersions);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** sha256 of a file, read no faster than `bytesPerSecond` when that is above 0. */
export async function sha256File(file: string, bytesPerSecond = 0): Promise<string> {
  const hash = createHash('sha256');
  const pace = bytesPerSecond > 0 ? new Pace(bytesPerSecond) : null;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    await pace?.consumed((chunk as Buffer).length);
  }
  return hash.digest('hex');
}

/** sha256 of each file, in order; rejects with FILE_MISSING naming the first file it cannot read. */
export type HashFiles = (files: string[]) => Promise<string[]>;

/** Hashes in this process, each file read no faster than `bytesPerSecond` (0: as fast as it can). */
export function hashFilesPaced(bytesPerSecond: number): HashFiles {
  return async (files) => {
    const hashes: string[] = [];
    for (const file of files) {
      try {
        hashes.push(await sha256File(file, bytesPerSecond));
      } catch (err) {
        throw new IndexFormatError('FILE_MISSING', `cannot read ${file}: ${(err as Error).message}`);
      }
    }
    return hashes;
  };
}

export const hashFilesHere: HashFiles = hashFilesPaced(0);

export class IndexFormatError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'IndexFormatError';
  }
}

/**
 * Reads a version's manifest and checks every file against its recorded size and sha256.
 * Throws IndexFormatError naming what is wrong; a version that fails is never trusted.
 */
export async function readVerifiedManifest(dir: string, hashFiles: HashFiles = hashFilesHere): Promise<Manifest> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'MANIFEST_MISSING' : 'MANIFEST_INVALID';
    throw new IndexFormatError(code, `${dir}: cannot read ${MANIFEST_FILE}: ${(err as Error).message}`);
  }
  if (manifest.format !== FORMAT) {
    throw new IndexFormatError('MANIFEST_INVALID', `${dir}: format ${String(manifest.format)}, expected ${FORMAT}`);
  }
  for (const required of [INDEX_FILE, VECTORS_FILE, ROWS_FILE]) {
    if (!manifest.files?.[required]) {
      throw new IndexFormatError('MANIFEST_INVALID', `${dir}: manifest lists no ${required}`);
    }
  }
  const names = Object.keys(manifest.files);
  const actual = await hashFiles(names.map((name) => path.join(dir, name)));
  names.forEach((name, i) => {
    if (actual[i] !== manifest.files[name]!.sha256) {
      throw new IndexFormatError('CHECKSUM_MISMATCH', `${dir}: ${name} sha256 ${actual[i]} != manifest ${manifest.files[name]!.sha256}`);
    }
  });
  const expectedVectorBytes = manifest.count * manifest.dims * 4;
  if (manifest.files[VECTORS_FILE]!.bytes !== expectedVectorBytes) {
    throw new IndexFormatError(
      'WRONG_DIMENSIONS',
      `${dir}: ${VECTORS_FILE} holds ${manifest.files[VECTORS_FILE]!.bytes} bytes, expected count ${manifest.count} x dims ${manifest.dims} x 4`,
    );
  }
  return manifest;
}
