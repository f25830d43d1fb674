// The on-disk layout of one index version, shared by the builder (writes it) and the roles
// (read it). One module so the two sides cannot drift apart.

import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export const MANIFEST_FILE = 'manifest.json';
export const INDEX_FILE = 'index.usearch';
export const VECTORS_FILE = 'vectors.f32';
export const ROWS_FILE = 'rows.bin';
export const LATEST_FILE = 'LATEST';
// /2: profile rows moved from profiles.json to the binary rows.bin (index-version/row-table.ts).
// /3: rows.bin carries the filterable attributes as columns (index-version/attributes.ts).
export const FORMAT = 'tandem-index/3';

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

export interface IncrementalOrigin {
  /** The version it was built from, and that version's store seq. */
  from: string;
  fromSeq: number;
  /** Changed profiles read from the store, rows added, rows removed (deleted or replaced). */
  changes: number;
  added: number;
  removed: number;
}

/** Rows of a version's files, removed ones included. */
export function rowsOf(manifest: Pick<Manifest, 'count' | 'rows'>): number {
  return manifest.rows ?? manifest.count;
}

export interface Manifest {
  format: typeof FORMAT;
  version: string;
  created: string;
  /** Profiles the version holds. */
  count: number;
  /** Rows of rows.bin and vectors.f32 (= keys of the index) when an incremental build left removed ones; else count. */
  rows?: number;
  /** Set when the version was built from an earlier one plus the store's changes since it. */
  incremental?: IncrementalOrigin;
  dims: number;
  metric: Metric;
  params: EngineParams;
  vectorizer: string;
  /** The vectorizer's module when not the built-in one: the answer role vectorizes live changes with it. */
  vectorizerModule?: string;
  source: string;
  /** The profile store's change seq the version was built from; absent for a file source. */
  storeSeq?: number;
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

/** Marks a name being written (a version, LATEST): never a version name, so no reader sees it. */
export const TEMPORARY_MARKER = '.tmp-';

export function temporarySuffix(): string {
  return `${TEMPORARY_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`;
}
