// What a filtered query admits, compiled once per query against one set of attribute columns
// (an index version's, or the live changes'): a row test of a few typed-array reads.
//
// `mutual` is reciprocal matching: the candidate must be what the querying profile is seeking
// (genders, age range) and the querying profile what the candidate is seeking. A profile that
// states no preference accepts anyone; one that states a preference needs the other side's
// value (a candidate without an age cannot satisfy an age range).
import type { QueryFilter } from '../channel/query-batch.js';
import type { AttributeColumns, ProfileAttributes } from '../index-version/attributes.js';

export type RowTest = (row: number) => boolean;

const ANY_AGE_MIN = 0;
const ANY_AGE_MAX = 255;

/** What a filter bounds per column, the querier's `seeking` folded in (for the row lists too). */
export interface FilterBounds {
  /** Inclusive; a bound age leaves out rows without an age. */
  ageLow: number;
  ageHigh: number;
  ageBound: boolean;
  /** Per gender code, 1 when it passes; null: any gender. */
  genders: Uint8Array | null;
  /** The city's code; 0: any city; -1: a city no row holds. */
  city: number;
}

export interface CompiledFilter {
  test: RowTest;
  bounds: FilterBounds;
}

export function filterBounds(filter: QueryFilter, querier: ProfileAttributes | null, columns: AttributeColumns): FilterBounds {
  const wanted = filter.mutual ? (querier?.seeking ?? {}) : {};
  const ageLow = Math.max(filter.ageMin ?? ANY_AGE_MIN, wanted.ageMin ?? ANY_AGE_MIN);
  const ageHigh = Math.min(filter.ageMax ?? ANY_AGE_MAX, wanted.ageMax ?? ANY_AGE_MAX);
  return {
    ageLow,
    ageHigh,
    ageBound: ageLow > ANY_AGE_MIN || ageHigh < ANY_AGE_MAX,
    genders: genderFlags(columns, filter.genders, wanted.genders),
    city: filter.city === undefined ? 0 : columns.cities.codeOf(filter.city),
  };
}

/**
 * The test of `filter` on `columns`; `querier` is the querying profile's attributes (needed by
 * `mutual`), `excluded` the rows of these columns that must not be returned.
 */
export function compileFilter(
  filter: QueryFilter,
  querier: ProfileAttributes | null,
  columns: AttributeColumns,
  excluded: ReadonlySet<number>,
): CompiledFilter {
  const bounds = filterBounds(filter, querier, columns);
  const { ageLow, ageHigh, ageBound, genders, city } = bounds;
  const { age, gender, city: cityColumn, seekMin, seekMax, seekSet } = columns;
  const reciprocal = filter.mutual ? reciprocalFlags(columns, querier) : null;
  const querierAge = querier?.age ?? 0;
  const test: RowTest = (row) => {
    if (excluded.has(row)) return false;
    if (ageBound) {
      const a = age[row]!;
      if (a === 0 || a < ageLow || a > ageHigh) return false;
    }
    if (genders !== null && genders[gender[row]!] !== 1) return false;
    if (city !== 0 && cityColumn[row] !== city) return false;
    if (reciprocal === null) return true;
    if (reciprocal[seekSet[row]!] !== 1) return false;
    const low = seekMin[row]!;
    const high = seekMax[row]!;
    return (low === 0 && high === 0) || (querierAge !== 0 && (low === 0 || querierAge >= low) && (high === 0 || querierAge <= high));
  };
  return { test, bounds };
}

/** Which gender codes pass, or null for any: the filter's list, narrowed by the querier's seeking. */
function genderFlags(columns: AttributeColumns, ...lists: (string[] | undefined)[]): Uint8Array | null {
  const given = lists.filter((list): list is string[] => list !== undefined && list.length > 0);
  if (given.length === 0) return null;
  const flags = new Uint8Array(256);
  for (const value of given[0]!) {
    if (given.every((list) => list.includes(value))) {
      const code = columns.genders.codeOf(value);
      if (code > 0) flags[code] = 1;
    }
  }
  return flags;
}

/** Per seek-set code, whether a candidate seeking that set accepts the querier's gender. */
function reciprocalFlags(columns: AttributeColumns, querier: ProfileAttributes | null): Uint8Array {
  const flags = new Uint8Array(columns.seekSets.length);
  flags[0] = 1;
  const code = querier?.gender === undefined ? -1 : columns.genders.codeOf(querier.gender);
  if (code > 0) for (let i = 1; i < flags.length; i++) flags[i] = columns.seekSets[i]!.includes(code) ? 1 : 0;
  return flags;
}
