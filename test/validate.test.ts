import t from 'tap';
import { checkId, checkVector, RecordValidator } from '../builder/validate.js';
import { createVectorizer, type ProfileInput } from '../builder/vectorize.js';

const DIMS = 8;
const { vectorize } = createVectorizer({ dims: DIMS });
const line = (record: unknown) => JSON.stringify(record);
const good = (id: string) => line({ _id: id, name: 'A', interests: ['chess'], city: 'Oslo' });

function rejected(v: RecordValidator, text: string, lineNo = 1) {
  const r = v.check(text, lineNo);
  if (r === null || r.ok) throw new Error(`expected a rejection for ${text}`);
  return r.skipped;
}

t.test('accepts a good record', async (t) => {
  const v = new RecordValidator({ dims: DIMS, vectorize });
  const r = v.check(good('p1'), 7);
  t.ok(r?.ok);
  if (r?.ok) {
    t.equal(r.id, 'p1');
    t.equal(r.line, 7);
    t.equal(r.vector.length, DIMS);
    t.equal(r.profile.name, 'A');
    t.same(r.fields, { id: 'p1', name: 'A', surname: '', attributes: { city: 'Oslo' } }, 'the row fields, with its filterable attributes');
  }
  t.equal(v.acceptedCount, 1);
  t.equal(v.check('   ', 8), null, 'blank lines are not records');
});

t.test('invalid_json', async (t) => {
  const v = new RecordValidator({ dims: DIMS, vectorize });
  t.match(rejected(v, '{"_id": "x",', 3), { line: 3, id: null, reason: 'invalid_json' });
  t.match(rejected(v, '[1,2]'), { reason: 'invalid_json', detail: /JSON object, got array/ });
  t.match(rejected(v, 'null'), { reason: 'invalid_json', detail: /got null/ });
  t.match(rejected(v, '"text"'), { reason: 'invalid_json' });
});

t.test('missing_id: absent, non-string, empty', async (t) => {
  const v = new RecordValidator({ dims: DIMS, vectorize });
  t.match(rejected(v, line({ name: 'x' })), { reason: 'missing_id', id: null, detail: /missing/ });
  t.match(rejected(v, line({ _id: 42 })), { reason: 'missing_id', detail: /must be a string, got number/ });
  t.match(rejected(v, line({ _id: '' })), { reason: 'missing_id', detail: /empty/ });
  t.match(rejected(v, line({ _id: '  ' })), { reason: 'missing_id', detail: /empty/ });
  t.match(rejected(v, line({ _id: null })), { reason: 'missing_id', detail: /got null/ });
});

t.test('duplicate_id: the first valid record wins', async (t) => {
  const v = new RecordValidator({ dims: DIMS, vectorize });
  t.ok(v.check(good('dup'), 1)?.ok);
  t.match(rejected(v, good('dup'), 2), { reason: 'duplicate_id', id: 'dup', line: 2 });
  // A skipped record does not claim its id.
  t.match(rejected(v, line({ _id: 'later' }), 3), { reason: 'zero_vector' });
  t.ok(v.check(good('later'), 4)?.ok);
});

t.test('vectorizer_error: a throwing or misbehaving vectorizer', async (t) => {
  const throwing = new RecordValidator({
    dims: DIMS,
    vectorize: () => {
      throw new Error('boom');
    },
  });
  t.match(rejected(throwing, good('a')), { reason: 'vectorizer_error', id: 'a', detail: 'boom' });
  const wrongType = new RecordValidator({ dims: DIMS, vectorize: (() => [1, 2]) as unknown as (p: ProfileInput) => Float32Array });
  t.match(rejected(wrongType, good('b')), { reason: 'vectorizer_error', detail: /expected a Float32Array/ });
  const v = new RecordValidator({ dims: DIMS, vectorize });
  t.match(rejected(v, line({ _id: 'c', vector: 'abc' })), { reason: 'vectorizer_error', detail: /array of numbers/ });
});

t.test('wrong_dimensions, non_finite, zero_vector', async (t) => {
  const v = new RecordValidator({ dims: DIMS, vectorize });
  t.match(rejected(v, line({ _id: 'w', vector: [1, 2, 3] })), { reason: 'wrong_dimensions', detail: 'expected 8 dims, got 3' });
  t.match(rejected(v, `{"_id":"inf","vector":[1,1,1,1,1,1,1,1e400]}`), { reason: 'non_finite', detail: 'component 7 is Infinity' });
  t.match(rejected(v, line({ _id: 'big', vector: [1, 1, 1, 1e39, 1, 1, 1, 1] })), { reason: 'non_finite', detail: /component 3/ });
  t.match(rejected(v, line({ _id: 'z', vector: new Array(DIMS).fill(0) })), { reason: 'zero_vector' });
  t.match(rejected(v, line({ _id: 'featureless' })), { reason: 'zero_vector' });
  const nan = new RecordValidator({ dims: 2, vectorize: () => new Float32Array([NaN, 1]) });
  t.match(rejected(nan, good('n')), { reason: 'non_finite', detail: 'component 0 is NaN' });
});

t.test('details are bounded', async (t) => {
  const v = new RecordValidator({
    dims: DIMS,
    vectorize: () => {
      throw new Error('x'.repeat(5000));
    },
  });
  t.ok(rejected(v, good('long')).detail.length <= 200);
});

t.test('checkVector and checkId are pure helpers', async (t) => {
  t.equal(checkVector(new Float32Array([0, 1]), 2), null);
  t.equal(checkVector(new Float32Array([0, 0]), 2)?.reason, 'zero_vector');
  t.equal(checkVector(new Float32Array([1]), 2)?.reason, 'wrong_dimensions');
  t.same(checkId({ _id: 'a' }), { id: 'a' });
  t.ok('detail' in checkId({}));
});

t.test('too_long: a profile whose result row would exceed the row limit', async (t) => {
  const v = new RecordValidator({ dims: DIMS, vectorize });
  t.match(rejected(v, line({ _id: 'long', name: 'x'.repeat(5000), interests: ['chess'] }), 4), {
    reason: 'too_long',
    id: 'long',
    line: 4,
    detail: /limit is 4096/,
  });
  const r = v.check(good('long'), 5);
  t.ok(r?.ok, 'a skipped record does not claim its id');
  if (r?.ok) t.same(r.fields, { id: 'long', name: 'A', surname: '', attributes: { city: 'Oslo' } }, 'fields that are absent show as ""');
});
