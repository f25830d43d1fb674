// A reader trusts a version only once every file matches the manifest's size and sha256.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { IndexFormatError } from './errors.js';
import { FORMAT, INDEX_FILE, MANIFEST_FILE, type Manifest, ROWS_FILE, rowsOf, VECTORS_FILE } from './format.js';

/** Something that may hold a reader back after each chunk (roles/fetch/pace.ts paces a fetch). */
export interface ReadPace {
  consumed(bytes: number): Promise<void>;
}

/** sha256 of a file; with a pace, each chunk waits until the pace lets it go on. */
export async function sha256File(file: string, pace?: ReadPace): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    await pace?.consumed((chunk as Buffer).length);
  }
  return hash.digest('hex');
}

/** sha256 of each file, in order; rejects with FILE_MISSING naming the first file it cannot read. */
export type HashFiles = (files: string[]) => Promise<string[]>;

/** Hashes in this process, one file after the other; `paceFor` gives each file its pace. */
export function hashFilesInProcess(paceFor: () => ReadPace | undefined = () => undefined): HashFiles {
  return async (files) => {
    const hashes: string[] = [];
    for (const file of files) {
      try {
        hashes.push(await sha256File(file, paceFor()));
      } catch (err) {
        throw new IndexFormatError('FILE_MISSING', `cannot read ${file}: ${(err as Error).message}`);
      }
    }
    return hashes;
  };
}

export const hashFilesHere: HashFiles = hashFilesInProcess();

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
  const expectedVectorBytes = rowsOf(manifest) * manifest.dims * 4;
  if (manifest.files[VECTORS_FILE]!.bytes !== expectedVectorBytes) {
    throw new IndexFormatError(
      'WRONG_DIMENSIONS',
      `${dir}: ${VECTORS_FILE} holds ${manifest.files[VECTORS_FILE]!.bytes} bytes, expected rows ${rowsOf(manifest)} x dims ${manifest.dims} x 4`,
    );
  }
  return manifest;
}
