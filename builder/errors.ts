// Every builder failure a caller may act on carries a named code, so the CLI, the tests and the
// logs match on `code`, never on message text.
export const BUILDER_ERRORS = {
  TANDEM_ERR_SOURCE_UNREADABLE: 'cannot read the profile source',
  TANDEM_ERR_NO_VALID_RECORDS: 'the source holds no valid record: nothing to publish',
  TANDEM_ERR_BUILD_ABORTED: 'the build was aborted',
  TANDEM_ERR_PUBLISH_CONFLICT: 'could not claim a version name that is not taken',
  TANDEM_ERR_INVALID_VERSION: 'not a version name',
} as const;

export type BuilderErrorCode = keyof typeof BUILDER_ERRORS;

export class BuilderError extends Error {
  readonly code: BuilderErrorCode;

  constructor(code: BuilderErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${BUILDER_ERRORS[code]}: ${detail}` : BUILDER_ERRORS[code], options);
    this.name = 'BuilderError';
    this.code = code;
  }
}

export function isBuilderError(err: unknown, code?: BuilderErrorCode): err is BuilderError {
  return err instanceof BuilderError && (code === undefined || err.code === code);
}
