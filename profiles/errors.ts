// Every code a profile can be refused with, and its HTTP status: one table, so the write API, the
// import's report and the tests match on `code`, never on message text. Codes shared with the
// query API (`TANDEM_ERR_BAD_ID`, `TANDEM_ERR_BAD_VECTOR`) mean the same thing there.
export const PROFILE_ERRORS = {
  TANDEM_ERR_BAD_PROFILE: { statusCode: 400, summary: 'a profile must be a JSON object' },
  TANDEM_ERR_BAD_ID: { statusCode: 400, summary: '`_id` must be 1 to 128 characters of letters, digits, "_" or "-"' },
  TANDEM_ERR_MISSING_NAME: { statusCode: 400, summary: '`name` and `surname` are required and must not be empty' },
  TANDEM_ERR_NAME_TOO_LONG: { statusCode: 400, summary: '`name` or `surname` is longer than a result row allows' },
  TANDEM_ERR_BAD_AGE: { statusCode: 400, summary: '`age` must be a whole number from 18 to 120' },
  TANDEM_ERR_BAD_SEEKING: {
    statusCode: 400,
    summary: '`seeking` must be {genders: [string], ageMin, ageMax} with 18 <= ageMin <= ageMax <= 120',
  },
  TANDEM_ERR_BAD_VECTOR: { statusCode: 400, summary: '`vector` must have the index dimensions, finite float32 numbers, not all zeros' },
  TANDEM_ERR_BAD_FIELD: { statusCode: 400, summary: 'a field has the wrong type' },
  /** A write refused for its profile; the problems inside carry the codes above. */
  TANDEM_ERR_INVALID_PROFILE: { statusCode: 400, summary: 'the profile was refused; see its problems' },
} as const;

export type ProfileErrorCode = keyof typeof PROFILE_ERRORS;

/** One thing wrong with a profile: which field (dotted path, `interests[2]`), and what to fix. */
export interface ProfileProblem {
  code: Exclude<ProfileErrorCode, 'TANDEM_ERR_INVALID_PROFILE'>;
  field: string;
  message: string;
}

/** Thrown by a store write whose profile does not validate; nothing of that write is kept. */
export class ProfileRejectedError extends Error {
  readonly code = 'TANDEM_ERR_INVALID_PROFILE';
  readonly statusCode = PROFILE_ERRORS.TANDEM_ERR_INVALID_PROFILE.statusCode;

  constructor(
    readonly problems: ProfileProblem[],
    /** Position in a putMany batch, null for a single put. */
    readonly index: number | null = null,
  ) {
    const where = index === null ? 'profile' : `profile at index ${index}`;
    super(`${where} refused: ${problems.map((p) => p.message).join('; ')}`);
    this.name = 'ProfileRejectedError';
  }
}
