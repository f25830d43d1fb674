// What the store can fail with, as named codes: a write the store could not make is thrown as a
// StoreUnavailableError (503 for the API), never swallowed, so no write is lost in silence.
export const STORE_ERRORS = {
  TANDEM_ERR_STORE_UNAVAILABLE: { statusCode: 503, summary: 'the profile store cannot be read or written right now; retry shortly' },
  TANDEM_ERR_STORE_TOO_NEW: { statusCode: 500, summary: 'the store file was written by a newer tandem: its schema is unknown here' },
} as const;

export type StoreErrorCode = keyof typeof STORE_ERRORS;

// SQLite primary result codes that mean "the store is unwritable or unreadable now", not "this
// request is wrong": extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED…) share a prefix.
const UNAVAILABLE = [
  'SQLITE_FULL',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
];
const UNAVAILABLE_ALSO = ['SQLITE_NOMEM', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_PERM'];

export class StoreUnavailableError extends Error {
  readonly code = 'TANDEM_ERR_STORE_UNAVAILABLE';
  readonly statusCode = STORE_ERRORS.TANDEM_ERR_STORE_UNAVAILABLE.statusCode;

  constructor(
    /** SQLite's code (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`…), `STORE_CLOSED`, or a system code (`EACCES`) at open. */
    readonly sqliteCode: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`profile store unavailable (${sqliteCode}): ${message}`, options);
    this.name = 'StoreUnavailableError';
  }
}

export class StoreTooNewError extends Error {
  readonly code = 'TANDEM_ERR_STORE_TOO_NEW';

  constructor(path: string, found: number, known: number) {
    super(`${path} has schema version ${found}; this build knows up to ${known}: run a newer tandem or restore a backup`);
    this.name = 'StoreTooNewError';
  }
}

function codeOf(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

/** True for the SQLite codes that make the store unavailable rather than the request wrong. */
export function isUnavailableCode(code: string): boolean {
  return [...UNAVAILABLE, ...UNAVAILABLE_ALSO].some((primary) => code === primary || code.startsWith(`${primary}_`));
}

/**
 * Runs one store operation and turns what makes the store unavailable into StoreUnavailableError;
 * anything else (a bug, a constraint we rely on) is rethrown as it is.
 */
export function guarded<T>(operation: () => T): T {
  try {
    return operation();
  } catch (err) {
    throw asStoreError(err);
  }
}

export function asStoreError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  const code = codeOf(err);
  if (code !== null && isUnavailableCode(code)) return new StoreUnavailableError(code, (err as Error).message, { cause: err });
  // better-sqlite3 throws a TypeError once the connection is closed (a request racing shutdown).
  if (err instanceof TypeError && /database connection is not open/.test(err.message)) {
    return new StoreUnavailableError('STORE_CLOSED', 'the store is closed', { cause: err });
  }
  return err;
}
