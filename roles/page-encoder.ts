// Every query's result body comes from here, however its matches were found: the one place that
// merges the version's matches with the live changes' and skips the rows a result may not show.
import { ResultWriter } from '../index-version/result-writer.js';
import type { RowTable } from '../index-version/row-table.js';
import type { DeltaMatches, LiveChanges } from './live-changes.js';
import type { Matches, NearestAnswer } from './nearest-request.js';
import { idOfRowBytes, ResultPage } from './result-page.js';

/** Result pages over one version's rows, written through one reused ResultWriter. */
export class PageEncoder {
  private readonly results = new ResultWriter();

  constructor(private readonly rows: RowTable) {}

  /** A page of `matches` (see encode), and the mark a next page starts after. */
  answer(
    matches: Matches,
    page: ResultPage,
    excludeRow: number,
    live: LiveChanges | null = null,
    delta: DeltaMatches | null = null,
  ): NearestAnswer {
    const body = this.encode(matches, page, excludeRow, live, delta);
    return { body, next: page.next((row) => idOfRowBytes(this.rows.rowBytes(row))) };
  }

  /**
   * The JSON result array: the index's matches (stored row bytes, nothing re-encoded) merged by
   * distance with the live changes' matches, the left-out and out-of-date rows skipped, and
   * those an earlier page served.
   */
  encode(
    matches: Matches,
    page: ResultPage | number,
    excludeRow = -1,
    live: LiveChanges | null = null,
    delta: DeltaMatches | null = null,
  ): Buffer {
    const results = typeof page === 'number' ? new ResultPage(page) : page;
    this.results.begin();
    let d = 0;
    const deltaCount = delta?.rows.length ?? 0;
    const takeDelta = () => {
      const row = delta!.rows[d]!;
      const distance = delta!.distances[d++]!;
      if (results.admit(distance, row)) this.results.append(row, distance);
    };
    for (let i = 0; i < matches.keys.length && !results.full; i++) {
      const row = Number(matches.keys[i]);
      if (row === excludeRow || !(row >= 0 && row < this.rows.count) || this.rows.isRemoved(row) || live?.isShadowed(row)) continue;
      const distance = matches.distances[i]!;
      while (d < deltaCount && !results.full && delta!.distances[d]! <= distance) takeDelta();
      if (results.full) break;
      if (results.admit(distance, row, () => idOfRowBytes(this.rows.rowBytes(row)))) this.results.append(this.rows.rowBytes(row), distance);
    }
    while (d < deltaCount && !results.full) takeDelta();
    return this.results.end();
  }
}
