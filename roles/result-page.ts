// One page of results, and the mark a next page starts after. Pages are keyset pages: a later
// page returns only results beyond the last one served (by distance, then the ids served at that
// very distance), so a page never repeats a result, whatever the search found deeper this time.

import type { PageMark } from '../channel/query-batch.js';

export type { PageMark };

/** The `_id` of a stored result row (`{"_id":"…",…`): the string is JSON, so JSON reads it back. */
export function idOfRowBytes(row: Buffer): string {
  const start = row.indexOf(0x3a) + 1; // after "_id":
  let end = start + 1;
  while (end < row.length && !(row[end] === 0x22 && row[end - 1] !== 0x5c)) end++;
  return JSON.parse(row.subarray(start, end + 1).toString('utf8')) as string;
}

type Source = number | Buffer;

export class ResultPage {
  private written = 0;
  private lastDistance = Number.NaN;
  /** Results appended at `lastDistance`: index rows (numbers) or live rows (bytes). */
  private atLast: Source[] = [];

  constructor(
    readonly n: number,
    private readonly after?: PageMark,
  ) {}

  /** How many results the search must find: the earlier pages' and this one's. */
  get depth(): number {
    return this.n + (this.after?.served ?? 0);
  }

  get full(): boolean {
    return this.written >= this.n;
  }

  /** Whether this result goes on the page (counted if so); `idOf` reads an index row's id, on a tie only. */
  admit(distance: number, source: Source, idOf?: () => string): boolean {
    const mark = this.after;
    if (mark && distance <= mark.distance) {
      if (distance < mark.distance) return false;
      const id = typeof source === 'number' ? idOf!() : idOfRowBytes(source);
      if (mark.ids.includes(id)) return false;
    }
    this.written++;
    if (distance !== this.lastDistance) this.atLast = [];
    this.lastDistance = distance;
    this.atLast.push(source);
    return true;
  }

  /** The mark after this page when it is full (there may be more), else null. */
  next(idOfIndexRow: (row: number) => string): PageMark | null {
    if (!this.full) return null;
    const ids = this.atLast.map((source) => (typeof source === 'number' ? idOfIndexRow(source) : idOfRowBytes(source)));
    if (this.after && this.after.distance === this.lastDistance) ids.push(...this.after.ids);
    return { distance: this.lastDistance, ids, served: (this.after?.served ?? 0) + this.written };
  }
}
