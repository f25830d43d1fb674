// Every way reading a pickle can fail: a stable code, the byte offset of the opcode at fault, and a
// message a person can act on. One table, so what can go wrong is in one place.

export const PICKLE_ERROR_CODES = {
  /** The pickle names a global (callable or class) outside the allowlist: nothing of it ran. */
  refused: 'TANDEM_ERR_PICKLE_REFUSED',
  /** Not a well-formed pickle: unknown opcode, stack underflow, memo miss, wrong argument types. */
  invalid: 'TANDEM_ERR_PICKLE_INVALID',
  /** The bytes end before STOP, or a length points past the end of the input. */
  truncated: 'TANDEM_ERR_PICKLE_TRUNCATED',
  /** Well-formed, but outside what tandem reads (another dtype, protocol 0 text, out-of-band buffers). */
  unsupported: 'TANDEM_ERR_PICKLE_UNSUPPORTED',
} as const;

export type PickleErrorCode = (typeof PICKLE_ERROR_CODES)[keyof typeof PICKLE_ERROR_CODES];

export class PickleError extends Error {
  readonly code: PickleErrorCode;
  /** Byte offset of the opcode being decoded when the problem was found. */
  readonly offset: number;

  constructor(code: PickleErrorCode, detail: string, offset: number) {
    super(`${detail} (pickle byte ${offset})`);
    this.name = 'PickleError';
    this.code = code;
    this.offset = offset;
  }
}

export class PickleRefusedError extends PickleError {
  /** Exactly what the pickle asked for, as `module.name` (or `copyreg extension N`). */
  readonly global: string;

  constructor(global: string, detail: string, offset: number) {
    super(PICKLE_ERROR_CODES.refused, detail, offset);
    this.name = 'PickleRefusedError';
    this.global = global;
  }
}

export const invalid = (detail: string, at: number) => new PickleError(PICKLE_ERROR_CODES.invalid, detail, at);
export const truncated = (detail: string, at: number) => new PickleError(PICKLE_ERROR_CODES.truncated, detail, at);
export const unsupported = (detail: string, at: number) => new PickleError(PICKLE_ERROR_CODES.unsupported, detail, at);

export function refused(global: string, at: number, why = 'it is not on the allowlist of data-only names'): PickleRefusedError {
  // The field keeps the exact name; the message escapes one that could forge log lines.
  const shown = /^[\x20-\x7e]{1,200}$/.test(global) ? global : JSON.stringify(global.slice(0, 200));
  return new PickleRefusedError(global, `refused to load ${shown} from a pickle: ${why}; nothing was executed`, at);
}
