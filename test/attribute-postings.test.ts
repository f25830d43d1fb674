// The row lists a filtered scan starts from: for any filter, every row the filter admits is in
// them (a scan never misses a match), and they are the smallest of the filter's bounds.
import t from 'tap';
import { mulberry32 } from '../builder/random.js';
import type { QueryFilter } from '../channel/query-batch.js';
import { AttributeColumns } from '../index-version/attributes.js';
import { AttributePostings, clusteredOrder } from '../roles/attribute-postings.js';
import { compileFilter } from '../roles/query-filter.js';

const ROWS = 5_000;
const GENDERS = ['female', 'male', 'nonbinary'];
const CITIES = ['Lisbon', 'Porto', 'Braga', 'Faro', 'Evora', 'Coimbra', 'Aveiro', 'Leiria'];

t.test('candidates hold every admitted row and are the narrowest bound', async (t) => {
  const random = mulberry32(7);
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
  const columns = new AttributeColumns();
  for (let row = 0; row < ROWS; row++) {
    // Some rows lack an age, a gender or a city: they must never pass a bound on it.
    columns.push({
      ...(random() < 0.95 && { age: 18 + Math.floor(random() * 50) }),
      ...(random() < 0.97 && { gender: pick(GENDERS) }),
      ...(random() < 0.9 && { city: pick(CITIES) }),
    });
  }
  const postings = AttributePostings.of(columns, ROWS);
  const filters: QueryFilter[] = [
    { city: 'Porto' },
    { city: 'Nowhere' },
    { genders: ['female', 'nonbinary'] },
    { ageMin: 30, ageMax: 31 },
    { ageMin: 40 },
    { ageMax: 20 },
    { ageMin: 50, ageMax: 40 },
    { city: 'Faro', genders: ['male'], ageMin: 25, ageMax: 45 },
    { genders: ['male'], ageMin: 18, ageMax: 19 },
  ];
  for (const filter of filters) {
    const { test, bounds } = compileFilter(filter, null, columns, new Set());
    const found = postings.candidates(bounds);
    if (!found) {
      t.fail(`${JSON.stringify(filter)}: a bound filter got no row lists`);
      continue;
    }
    const listed = new Set<number>();
    for (const list of found.lists) for (const row of list) listed.add(row);
    t.equal(listed.size, found.size, `${JSON.stringify(filter)}: no row listed twice, size counted right`);
    let admitted = 0;
    let missed = 0;
    for (let row = 0; row < ROWS; row++) {
      if (!test(row)) continue;
      admitted++;
      if (!listed.has(row)) missed++;
    }
    t.equal(missed, 0, `${JSON.stringify(filter)}: all ${admitted} admitted rows are candidates (of ${found.size})`);
    // Each bound alone admits at least as many rows as the narrowest list holds.
    for (const single of [{ city: filter.city }, { genders: filter.genders }, { ageMin: filter.ageMin, ageMax: filter.ageMax }]) {
      const one = compileFilter(single as QueryFilter, null, columns, new Set());
      if (!postings.candidates(one.bounds)) continue;
      let passing = 0;
      for (let row = 0; row < ROWS; row++) if (one.test(row)) passing++;
      t.ok(found.size <= passing, `${JSON.stringify(filter)}: ${found.size} candidates <= ${passing} of ${JSON.stringify(single)}`);
    }
  }
  t.equal(postings.candidates(compileFilter({}, null, columns, new Set()).bounds), null, 'no bound: no lists (every row)');

  const order = clusteredOrder(columns, ROWS);
  t.equal(new Set(order).size, ROWS, 'the clustered order holds every row once');
  const key = (row: number) => [columns.city[row]!, columns.gender[row]!, columns.age[row]!, row];
  const outOfOrder = Array.from(order.subarray(1)).filter((row, i) => {
    const [a, b] = [key(order[i]!), key(row)];
    const differs = a.findIndex((x, j) => x !== b[j]);
    return differs >= 0 && a[differs]! > b[differs]!;
  });
  t.equal(outOfOrder.length, 0, 'rows sorted by city, gender, age, then row (stable)');
});
