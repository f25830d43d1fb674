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

function group(column: ArrayLike<number>, count: number, codes: number): Grouped {
  const starts = new Uint32Array(codes + 1);
  for (let row = 0; row < count; row++) starts[column[row]! + 1]!++;
  for (let code = 0; code < codes; code++) starts[code + 1]! += starts[code]!;
  const next = starts.slice(0, codes);
  const rows = new Uint32Array(count);
  for (let row = 0; row < count; row++) rows[next[column[row]!]!++] = row;
  return { starts, rows };
}

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

/** Rows sorted by city, then gender, then age (stable counting sorts, least significant first). */
export function clusteredOrder(columns: AttributeColumns, count: number): Uint32Array {
  let order = Uint32Array.from({ length: count }, (_, i) => i);
  const passes: [ArrayLike<number>, number][] = [
    [columns.age, AGE_CODES],
    [columns.gender, columns.genders.values.length],
    [columns.city, columns.cities.values.length],
  ];
  for (const [column, codes] of passes) {
    const starts = new Uint32Array(codes + 1);
    for (let i = 0; i < count; i++) starts[column[order[i]!]! + 1]!++;
    for (let code = 0; code < codes; code++) starts[code + 1]! += starts[code]!;
    const next = new Uint32Array(count);
    for (let i = 0; i < count; i++) next[starts[column[order[i]!]!]!++] = order[i]!;
    order = next;
  }
  return order;
}

export class AttributePostings {
  private constructor(
    private readonly byAge: Grouped,
    private readonly byGender: Grouped,
    private readonly byCity: Grouped,
  ) {}

  static of(columns: AttributeColumns, count: number): AttributePostings {
    return new AttributePostings(
      group(columns.age, count, AGE_CODES),
      group(columns.gender, count, columns.genders.values.length),
      group(columns.city, count, columns.cities.values.length),
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
