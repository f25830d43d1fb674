// Row lists per attribute value (a counting sort of each filterable column), built once per held
// version, so that a filtered scan visits only the rows of its most selective bound, not every row.
import type { AttributeColumns } from '../index-version/attributes.js';
import type { FilterBounds } from './query-filter.js';

/** Rows grouped by one column's code: code c's rows are `rows[starts[c]..starts[c + 1])`, ascending. */
interface Grouped {
  starts: Uint32Array;
  rows: Uint32Array;
}

/** Rows that may pass a filter, as a few lists (ascending within each code); `size` is their total length. */
export interface RowLists {
  lists: Uint32Array[];
  size: number;
}

/** `order`'s rows stably sorted by their code in `column` (a counting sort). */
function group(column: ArrayLike<number>, codes: number, order: ArrayLike<number>): Grouped {
  const starts = new Uint32Array(codes + 1);
  for (let i = 0; i < order.length; i++) starts[column[order[i]!]! + 1]!++;
  for (let code = 0; code < codes; code++) starts[code + 1]! += starts[code]!;
  const next = starts.slice(0, codes);
  const rows = new Uint32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const row = order[i]!;
    rows[next[column[row]!]!++] = row;
  }
  return { starts, rows };
}

const allRows = (count: number) => Uint32Array.from({ length: count }, (_, i) => i);

function listsOf(grouped: Grouped, codes: Iterable<number>): RowLists {
  const lists: Uint32Array[] = [];
  let size = 0;
  for (const code of codes) {
    const list = grouped.rows.subarray(grouped.starts[code]!, grouped.starts[code + 1]!);
    if (list.length === 0) continue;
    lists.push(list);
    size += list.length;
  }
  return { lists, size };
}

const AGE_CODES = 256;

/**
 * Rows in the order filters select them together: by city, then gender, then age (stable counting
 * sorts, least significant first). A filter's rows are then a few ranges of positions, one per
 * (city, gender) group it admits, cut to its ages by binary search.
 */
export class ClusteredLayout {
  private constructor(
    /** Position p holds row `rowAt[p]`. */
    readonly rowAt: Uint32Array,
    /** Group g = city * genderCodes + gender holds positions `groupStarts[g]..groupStarts[g + 1]`. */
    private readonly groupStarts: Uint32Array,
    private readonly genderCodes: number,
    private readonly cityCodes: number,
    private readonly ageAt: Uint8Array,
  ) {}

  static of(columns: AttributeColumns, count: number): ClusteredLayout {
    const genderCodes = columns.genders.values.length;
    const cityCodes = columns.cities.values.length;
    let order: Uint32Array = allRows(count);
    const passes: [ArrayLike<number>, number][] = [
      [columns.age, AGE_CODES],
      [columns.gender, genderCodes],
      [columns.city, cityCodes],
    ];
    for (const [column, codes] of passes) order = group(column, codes, order).rows;
    const groupStarts = new Uint32Array(cityCodes * genderCodes + 1);
    const ageAt = new Uint8Array(count);
    for (let position = 0; position < count; position++) {
      const row = order[position]!;
      groupStarts[columns.city[row]! * genderCodes + columns.gender[row]! + 1]!++;
      ageAt[position] = columns.age[row]!;
    }
    for (let g = 0; g < cityCodes * genderCodes; g++) groupStarts[g + 1]! += groupStarts[g]!;
    return new ClusteredLayout(order, groupStarts, genderCodes, cityCodes, ageAt);
  }

  /** Position ranges, flat `[start, end, ...]` and ascending, holding every row `bounds` can admit. */
  ranges(bounds: FilterBounds | null): number[] {
    if (bounds === null) return [0, this.rowAt.length];
    if (bounds.city < 0) return [];
    const ranges: number[] = [];
    const low = Math.max(1, bounds.ageLow);
    const high = Math.min(AGE_CODES - 1, bounds.ageHigh);
    const [firstCity, lastCity] = bounds.city > 0 ? [bounds.city, bounds.city] : [0, this.cityCodes - 1];
    for (let city = firstCity; city <= lastCity; city++) {
      for (let gender = 0; gender < this.genderCodes; gender++) {
        if (bounds.genders !== null && bounds.genders[gender] !== 1) continue;
        const group = city * this.genderCodes + gender;
        let start = this.groupStarts[group]!;
        let end = this.groupStarts[group + 1]!;
        if (bounds.ageBound) {
          start = this.firstAgeAtLeast(start, end, low);
          end = this.firstAgeAtLeast(start, end, high + 1);
        }
        if (start < end) ranges.push(start, end);
      }
    }
    return ranges;
  }

  /** The first position in `start..end` (ages ascending there) whose age is at least `age`. */
  private firstAgeAtLeast(start: number, end: number, age: number): number {
    while (start < end) {
      const middle = (start + end) >>> 1;
      if (this.ageAt[middle]! < age) start = middle + 1;
      else end = middle;
    }
    return start;
  }
}

export class AttributePostings {
  private constructor(
    private readonly byAge: Grouped,
    private readonly byGender: Grouped,
    private readonly byCity: Grouped,
  ) {}

  static of(columns: AttributeColumns, count: number): AttributePostings {
    const rows = allRows(count);
    return new AttributePostings(
      group(columns.age, AGE_CODES, rows),
      group(columns.gender, columns.genders.values.length, rows),
      group(columns.city, columns.cities.values.length, rows),
    );
  }

  /** The fewest rows that can pass `bounds` (every row that passes is in them); null: no bound narrows. */
  candidates(bounds: FilterBounds): RowLists | null {
    const options: RowLists[] = [];
    if (bounds.city !== 0) options.push(bounds.city < 0 ? { lists: [], size: 0 } : listsOf(this.byCity, [bounds.city]));
    if (bounds.genders !== null) {
      const flags = bounds.genders;
      options.push(
        listsOf(
          this.byGender,
          Array.from(flags.keys()).filter((code) => flags[code] === 1),
        ),
      );
    }
    if (bounds.ageBound) {
      // One contiguous range of the age-sorted rows: ages low..high (0, no age, never passes).
      const low = Math.max(1, bounds.ageLow);
      const high = Math.min(AGE_CODES - 1, bounds.ageHigh);
      const list = low > high ? new Uint32Array(0) : this.byAge.rows.subarray(this.byAge.starts[low]!, this.byAge.starts[high + 1]!);
      options.push({ lists: list.length ? [list] : [], size: list.length });
    }
    if (options.length === 0) return null;
    return options.reduce((a, b) => (b.size < a.size ? b : a));
  }
}
