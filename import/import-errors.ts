// What stops an import as a whole (exit 1, one line on stderr), and what skips one record: stable
// codes in one table. A pickle's own failures keep their codes (errors.ts), the store's too.

export const IMPORT_ERRORS = {
  TANDEM_ERR_IMPORT_UNREADABLE: 'the input cannot be read (missing, not a file, no permission)',
  TANDEM_ERR_IMPORT_FORMAT: 'the format is neither given nor recognisable',
  TANDEM_ERR_IMPORT_NOT_RECORDS: 'the pickle is not a list of dicts',
  TANDEM_ERR_IMPORT_BAD_HEADER: "the CSV header row cannot name a profile's fields",
  TANDEM_ERR_IMPORT_NO_TOKEN: '--url needs a write token',
  TANDEM_ERR_IMPORT_REFUSED: 'the service refused the write token (401/403)',
  TANDEM_ERR_IMPORT_HTTP: 'the service answered in a way the import cannot go on from',
  TANDEM_ERR_IMPORT_GAVE_UP: 'records still unwritten after the last retry',
} as const;

export type ImportErrorCode = keyof typeof IMPORT_ERRORS;

/** Codes a single record is skipped with besides the profile codes (profiles/errors.ts). */
export const RECORD_ERRORS = {
  TANDEM_ERR_BAD_JSON: 'an NDJSON line that is not JSON',
  TANDEM_ERR_LINE_TOO_LONG: 'an NDJSON line over the line limit',
  TANDEM_ERR_BAD_CSV_ROW: 'a CSV row the parser refused (wrong number of cells, a stray quote)',
} as const;

export type RecordErrorCode = keyof typeof RECORD_ERRORS;

export class ImportError extends Error {
  constructor(
    readonly code: ImportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImportError';
  }
}
