// How a CSV row becomes a profile: the header names the fields, a dotted name nests
// (`seeking.ageMin` -> seeking: {ageMin}), an empty (or blank) cell leaves its field out, and a
// few fields are typed from text. What still does not fit is left as given, for the validator to
// refuse with the field's own code: a CSV row and a JSON line are judged alike.
import { ImportError } from './import-errors.js';

/** Text to a number when it is one, else the text itself (the validator then names the field). */
function numberWhenNumeric(text: string): number | string {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : text;
}

const list = (text: string): string[] =>
  text
    .split(';')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** A JSON array, or numbers separated by `;`. */
function vector(text: string): unknown {
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text.split(';').map((item) => numberWhenNumeric(item.trim()));
}

// A Map: a column named `__proto__` or `constructor` must find no conversion, not Object's own.
const CONVERSIONS = new Map<string, (text: string) => unknown>([
  ['age', numberWhenNumeric],
  ['interests', list],
  ['vector', vector],
  ['seeking.genders', list],
  ['seeking.ageMin', numberWhenNumeric],
  ['seeking.ageMax', numberWhenNumeric],
]);

export interface CsvColumn {
  /** The field's path: `['seeking', 'ageMin']`. */
  path: string[];
  /** For a typed field (given the cell trimmed); a text field keeps its cell as written. */
  convert: ((text: string) => unknown) | null;
}

const REQUIRED = ['_id', 'name', 'surname'];

function badHeader(message: string): ImportError {
  return new ImportError('TANDEM_ERR_IMPORT_BAD_HEADER', `the CSV header ${message}`);
}

/** The columns of a header row; throws when it cannot describe profiles at all. */
export function csvColumns(header: readonly string[]): CsvColumn[] {
  const names = header.map((name) => name.trim());
  names.forEach((name, i) => {
    if (name === '') throw badHeader(`has no name for column ${i + 1}`);
    if (name.split('.').includes('')) throw badHeader(`column ${JSON.stringify(name)} has an empty part between dots`);
    if (names.indexOf(name) !== i) throw badHeader(`names ${JSON.stringify(name)} twice`);
    // `seeking` beside `seeking.ageMin`: which one would the field be?
    const parent = names.find((other) => other.startsWith(`${name}.`));
    if (parent) throw badHeader(`has both ${JSON.stringify(name)} and ${JSON.stringify(parent)}`);
  });
  const missing = REQUIRED.filter((name) => !names.includes(name));
  if (missing.length > 0) throw badHeader(`has no ${missing.join(', ')} column: a profile needs _id, name and surname`);
  return names.map((name) => ({ path: name.split('.'), convert: CONVERSIONS.get(name) ?? null }));
}

// Own properties only: a `__proto__` column is a field like any other, never a prototype.
function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** One row as a profile-shaped object: cells by position, empty cells left out. */
export function csvRecord(columns: readonly CsvColumn[], cells: readonly string[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  columns.forEach((column, i) => {
    const cell = cells[i] ?? '';
    const text = cell.trim();
    if (text === '') return;
    let target = record;
    for (const key of column.path.slice(0, -1)) {
      if (!Object.hasOwn(target, key)) setField(target, key, {});
      target = target[key] as Record<string, unknown>;
    }
    setField(target, column.path.at(-1)!, column.convert ? column.convert(text) : cell);
  });
  return record;
}
