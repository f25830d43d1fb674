// What every reader (NDJSON, CSV, pickle) hands the import: records one at a time, each with its
// position in the input, or the reason it could not be read as a record at all.

/** Why a record cannot be imported: a stable code (profiles/errors.ts, import-errors.ts) and what to fix. */
export interface RecordProblem {
  code: string;
  message: string;
}

export type SourceRecord =
  | { position: number; value: unknown }
  /** Unreadable before validation (bad JSON, a broken CSV row, a pickle value JSON cannot hold). */
  | { position: number; id: string | null; problem: RecordProblem };

export interface RecordSource {
  /** What `position` counts: input lines (NDJSON, CSV, from 1) or list items (pickle, from 0). */
  readonly positionName: 'line' | 'record';
  records(): AsyncIterable<SourceRecord>;
  /**
   * Reads the whole input without keeping records, for a format read whole anyway (pickle): in
   * --url mode a refused or damaged file then sends nothing, since nothing is sent before it.
   */
  verify?(): Promise<void>;
}

/** A record's `_id` for a report line, when it has one that is a string. */
export function idOf(value: unknown): string | null {
  const id = (value as { _id?: unknown } | null)?._id;
  return typeof id === 'string' ? id.slice(0, 128) : null;
}
