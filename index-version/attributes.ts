// The filterable fields of a profile (age, gender, city, what it is seeking) as columns, one value
// per row, with dictionaries for the strings: a filter is compiled to codes once per query and
// then tests a row with a few typed-array reads, no string compared and nothing parsed.
// The same class holds an index version's columns (rows.bin) and the live changes' (roles/).

export interface Seeking {
  genders?: string[];
  ageMin?: number;
  ageMax?: number;
}

export interface ProfileAttributes {
  age?: number;
  gender?: string;
  city?: string;
  seeking?: Seeking;
}

/** Ages fit a byte; 0 is "not given" (the profile contract admits 18 to 120). */
const NO_AGE = 0;
const MAX_GENDERS = 255;
const MAX_SEEK_SETS = 0xffff;
const MAX_CITIES = 0xffff_fffe;

const isAge = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 255;

/** The attributes a stored or imported record carries, values of the wrong type left out. */
export function attributesOf(record: Record<string, unknown>): ProfileAttributes {
  const attributes: ProfileAttributes = {};
  if (isAge(record.age)) attributes.age = record.age;
  if (typeof record.gender === 'string' && record.gender !== '') attributes.gender = record.gender;
  if (typeof record.city === 'string' && record.city !== '') attributes.city = record.city;
  const seeking = record.seeking as Record<string, unknown> | undefined;
  if (seeking && typeof seeking === 'object' && !Array.isArray(seeking)) {
    const wanted: Seeking = {};
    if (Array.isArray(seeking.genders)) wanted.genders = seeking.genders.filter((g): g is string => typeof g === 'string' && g !== '');
    if (isAge(seeking.ageMin)) wanted.ageMin = seeking.ageMin;
    if (isAge(seeking.ageMax)) wanted.ageMax = seeking.ageMax;
    if (wanted.genders?.length || wanted.ageMin !== undefined || wanted.ageMax !== undefined) attributes.seeking = wanted;
  }
  return attributes;
}

/** A string's code in a dictionary that grows as values come (code 0 = no value). */
class Dictionary {
  readonly values: string[] = [''];
  private readonly codes = new Map<string, number>();

  constructor(
    values: string[] = [],
    private readonly max: number,
  ) {
    for (const value of values) this.add(value);
  }

  /** The value's code, 0 when there is none or the dictionary is full. */
  add(value: string | undefined): number {
    if (value === undefined || value === '') return 0;
    const known = this.codes.get(value);
    if (known !== undefined) return known;
    if (this.values.length > this.max) return 0;
    this.values.push(value);
    this.codes.set(value, this.values.length - 1);
    return this.values.length - 1;
  }

  /** The code of a value, or -1 when no row holds it (so no row can match it). */
  codeOf(value: string): number {
    return this.codes.get(value) ?? -1;
  }
}

interface SerializedDictionaries {
  genders: string[];
  cities: string[];
  /** Seek set code -> the gender codes it accepts; set 0 (no preference) is implied. */
  seekSets: number[][];
}

export class AttributeColumns {
  age: Uint8Array;
  gender: Uint8Array;
  city: Uint32Array;
  seekMin: Uint8Array;
  seekMax: Uint8Array;
  /** Code of the set of genders the row is seeking; 0 = any gender. */
  seekSet: Uint16Array;
  readonly genders: Dictionary;
  readonly cities: Dictionary;
  readonly seekSets: number[][] = [[]];
  private readonly seekSetCodes = new Map<string, number>();
  private used = 0;

  constructor(capacity = 64, dictionaries?: SerializedDictionaries) {
    this.age = new Uint8Array(capacity);
    this.gender = new Uint8Array(capacity);
    this.city = new Uint32Array(capacity);
    this.seekMin = new Uint8Array(capacity);
    this.seekMax = new Uint8Array(capacity);
    this.seekSet = new Uint16Array(capacity);
    this.genders = new Dictionary(dictionaries?.genders.slice(1), MAX_GENDERS);
    this.cities = new Dictionary(dictionaries?.cities.slice(1), MAX_CITIES);
    for (const set of dictionaries?.seekSets.slice(1) ?? []) this.seekSetCode(set);
  }

  get rows(): number {
    return this.used;
  }

  /** Appends a row (a version being built). */
  push(attributes: ProfileAttributes | undefined): void {
    this.set(this.used, attributes);
  }

  /** Sets row `row`'s values, growing the columns as needed (the live changes reuse their slots). */
  set(row: number, attributes: ProfileAttributes | undefined): void {
    if (row >= this.age.length) this.grow(Math.max(row + 1, this.age.length * 2));
    this.used = Math.max(this.used, row + 1);
    const a = attributes ?? {};
    this.age[row] = a.age ?? NO_AGE;
    this.gender[row] = this.genders.add(a.gender);
    this.city[row] = this.cities.add(a.city);
    this.seekMin[row] = a.seeking?.ageMin ?? NO_AGE;
    this.seekMax[row] = a.seeking?.ageMax ?? NO_AGE;
    const wanted = (a.seeking?.genders ?? []).map((g) => this.genders.add(g)).filter((code) => code > 0);
    this.seekSet[row] = this.seekSetCode(wanted);
  }

  /** Row `row`'s attributes as strings again (a querying profile's own, for `mutual`). */
  attributesOf(row: number): ProfileAttributes {
    const attributes: ProfileAttributes = {};
    if (this.age[row]) attributes.age = this.age[row];
    if (this.gender[row]) attributes.gender = this.genders.values[this.gender[row]!];
    if (this.city[row]) attributes.city = this.cities.values[this.city[row]!];
    const genders = this.seekSets[this.seekSet[row]!]!.map((code) => this.genders.values[code]!);
    if (genders.length || this.seekMin[row] || this.seekMax[row]) {
      attributes.seeking = {};
      if (genders.length) attributes.seeking.genders = genders;
      if (this.seekMin[row]) attributes.seeking.ageMin = this.seekMin[row];
      if (this.seekMax[row]) attributes.seeking.ageMax = this.seekMax[row];
    }
    return attributes;
  }

  /** The columns and dictionaries as bytes: fixed-width columns first (4-byte aligned), then JSON. */
  encode(): Buffer {
    const n = this.used;
    const dictionaries: SerializedDictionaries = { genders: this.genders.values, cities: this.cities.values, seekSets: this.seekSets };
    const json = Buffer.from(JSON.stringify(dictionaries));
    const header = Buffer.alloc(8);
    header.writeUInt32LE(n, 0);
    header.writeUInt32LE(json.length, 4);
    const parts = [
      header,
      bytesOf(this.city.subarray(0, n)),
      bytesOf(this.seekSet.subarray(0, n)),
      bytesOf(this.age.subarray(0, n)),
      bytesOf(this.gender.subarray(0, n)),
      bytesOf(this.seekMin.subarray(0, n)),
      bytesOf(this.seekMax.subarray(0, n)),
      json,
    ];
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    return Buffer.concat([...parts, Buffer.alloc((4 - (length % 4)) % 4)]);
  }

  /** Reads what encode() wrote; throws a RangeError naming the problem when it does not fit. */
  static decode(bytes: Buffer, expectedRows: number): AttributeColumns {
    if (bytes.length < 8) throw new RangeError('attribute section shorter than its header');
    const n = bytes.readUInt32LE(0);
    const jsonBytes = bytes.readUInt32LE(4);
    if (n !== expectedRows) throw new RangeError(`attribute section has ${n} rows, the table ${expectedRows}`);
    const fixed = 8 + n * 10; // city u32, seek set u16, then four u8 columns
    if (fixed + jsonBytes > bytes.length) throw new RangeError('attribute section shorter than its columns');
    const dictionaries = JSON.parse(bytes.subarray(fixed, fixed + jsonBytes).toString('utf8')) as SerializedDictionaries;
    const columns = new AttributeColumns(Math.max(n, 1), dictionaries);
    let at = 8;
    const take = (bytesPerRow: number) => {
      const slice = Buffer.from(bytes.subarray(at, at + n * bytesPerRow));
      at += n * bytesPerRow;
      return slice.buffer.slice(slice.byteOffset, slice.byteOffset + slice.byteLength);
    };
    columns.city = new Uint32Array(take(4));
    columns.seekSet = new Uint16Array(take(2));
    columns.age = new Uint8Array(take(1));
    columns.gender = new Uint8Array(take(1));
    columns.seekMin = new Uint8Array(take(1));
    columns.seekMax = new Uint8Array(take(1));
    columns.used = n;
    const genderCount = columns.genders.values.length;
    for (let row = 0; row < n; row++) {
      if (columns.gender[row]! >= genderCount || columns.seekSet[row]! >= columns.seekSets.length)
        throw new RangeError(`row ${row}: a code outside its dictionary`);
      if (columns.city[row]! >= columns.cities.values.length) throw new RangeError(`row ${row}: a city code outside its dictionary`);
    }
    return columns;
  }

  private seekSetCode(genderCodes: number[]): number {
    if (genderCodes.length === 0) return 0;
    const sorted = [...new Set(genderCodes)].sort((a, b) => a - b);
    const key = sorted.join(',');
    const known = this.seekSetCodes.get(key);
    if (known !== undefined) return known;
    // Past the limit a row seeks "any": looser, never a wrongly empty result.
    if (this.seekSets.length > MAX_SEEK_SETS) return 0;
    this.seekSets.push(sorted);
    this.seekSetCodes.set(key, this.seekSets.length - 1);
    return this.seekSets.length - 1;
  }

  private grow(capacity: number): void {
    const widen = <T extends Uint8Array | Uint16Array | Uint32Array>(array: T, make: (n: number) => T): T => {
      const bigger = make(capacity);
      bigger.set(array);
      return bigger;
    };
    this.age = widen(this.age, (n) => new Uint8Array(n));
    this.gender = widen(this.gender, (n) => new Uint8Array(n));
    this.city = widen(this.city, (n) => new Uint32Array(n));
    this.seekMin = widen(this.seekMin, (n) => new Uint8Array(n));
    this.seekMax = widen(this.seekMax, (n) => new Uint8Array(n));
    this.seekSet = widen(this.seekSet, (n) => new Uint16Array(n));
  }
}

function bytesOf(array: Uint8Array | Uint16Array | Uint32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}
