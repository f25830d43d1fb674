// Why a version on disk cannot be served: the one table of index-version codes. A fetch reports
// the code to the supervisor (FETCH_FAILED), which decides from it what to do with the version.

export const INDEX_VERSION_ERRORS = {
  MANIFEST_MISSING: 'the version directory has no manifest.json',
  MANIFEST_INVALID: 'manifest.json is not JSON, not this format, or lists no required file',
  FILE_MISSING: 'a file the manifest lists cannot be read',
  CHECKSUM_MISMATCH: "a file's sha256 differs from the manifest's",
  WRONG_DIMENSIONS: 'the vectors or the index do not have the dimensions the manifest says',
  ROWS_INVALID: 'rows.bin is damaged or does not match the manifest',
  INDEX_INVALID: 'index.usearch does not hold the vectors the manifest counts',
  VERSION_MISMATCH: 'the manifest names another version than the one asked for',
} as const;

export type IndexVersionErrorCode = keyof typeof INDEX_VERSION_ERRORS;

export class IndexFormatError extends Error {
  constructor(
    readonly code: IndexVersionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IndexFormatError';
  }
}
