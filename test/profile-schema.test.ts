import { Ajv } from 'ajv';
import t from 'tap';
import { encodedRowBytes, MAX_ROW_BYTES } from '../index-version/row-table.js';
import { PROFILE_ERRORS, type ProfileProblem } from '../profiles/errors.js';
import { MAX_NAME_LENGTH, profileSchema, ROW_BYTES_WORST_CASE } from '../profiles/schema.js';
import { validateProfile } from '../profiles/validate.js';

const valid = { _id: 'p-1_A', name: 'Ada', surname: 'Lovelace' };

function problems(input: unknown, dims?: number): ProfileProblem[] {
  const check = validateProfile(input, { dims });
  if (check.ok) throw new Error(`expected problems for ${JSON.stringify(input)}`);
  return check.problems;
}

/** The one problem of a profile that is valid but for one field. */
function only(patch: Record<string, unknown>, dims?: number): ProfileProblem {
  const found = problems({ ...valid, ...patch }, dims);
  if (found.length !== 1) throw new Error(`expected one problem, got ${JSON.stringify(found)}`);
  return found[0]!;
}

t.test('a valid profile comes back as the same object, unknown fields kept', async (t) => {
  const input = {
    ...valid,
    age: 18,
    gender: 'f',
    city: 'Oslo',
    interests: ['chess', 'rowing'],
    bio: '',
    seeking: { genders: ['m', 'f'], ageMin: 18, ageMax: 120 },
    vector: [0.5, -1, 1e-3],
    favouriteColour: 'teal',
    nested: { deep: [1, { x: null }] },
  };
  const check = validateProfile(input, { dims: 3 });
  t.ok(check.ok);
  if (check.ok) t.equal(check.profile, input, 'the input itself: nothing dropped, nothing coerced');
  t.ok(validateProfile({ ...valid, seeking: {} }).ok, 'every part of seeking is optional');
  t.ok(validateProfile({ ...valid, seeking: { ageMin: 30, ageMax: 30 } }).ok, 'ageMin = ageMax is a range of one');
  t.ok(validateProfile({ ...valid, vector: [1, 2, 3, 4, 5] }).ok, 'any length when no dims are expected');
});

t.test('TANDEM_ERR_BAD_PROFILE: not an object', async (t) => {
  for (const input of [null, 42, 'text', [valid], true]) {
    t.match(problems(input), [{ code: 'TANDEM_ERR_BAD_PROFILE', field: '' }], JSON.stringify(input));
  }
});

t.test('TANDEM_ERR_BAD_ID: missing, wrong type, empty, too long, bad characters', async (t) => {
  t.match(problems({ name: 'a', surname: 'b' }), [{ code: 'TANDEM_ERR_BAD_ID', field: '_id', message: /`_id` is missing/ }]);
  for (const id of [7, null, '', 'a'.repeat(129), 'a b', 'a/b', 'é', 'a\n']) {
    const p = only({ _id: id });
    t.equal(p.code, 'TANDEM_ERR_BAD_ID', JSON.stringify(id));
    t.equal(p.field, '_id');
  }
  t.ok(validateProfile({ ...valid, _id: 'a'.repeat(128) }).ok, '128 characters fit');
});

t.test('TANDEM_ERR_MISSING_NAME: absent, null, empty, blank; a wrong type is TANDEM_ERR_BAD_FIELD', async (t) => {
  t.match(problems({ _id: 'x' }), [
    { code: 'TANDEM_ERR_MISSING_NAME', field: 'name' },
    { code: 'TANDEM_ERR_MISSING_NAME', field: 'surname' },
  ]);
  for (const field of ['name', 'surname']) {
    for (const value of [null, '', '   \t']) {
      t.match(only({ [field]: value }), { code: 'TANDEM_ERR_MISSING_NAME', field, message: new RegExp(`\`${field}\``) });
    }
    t.match(only({ [field]: 5 }), { code: 'TANDEM_ERR_BAD_FIELD', field, message: /must be a string, got 5/ });
  }
  t.equal(only({ name: '' }).message, '`name` is empty: give it as a non-empty string', 'one report, though two rules fail');
});

t.test('TANDEM_ERR_NAME_TOO_LONG, and why the bound keeps a result row under 4 KiB', async (t) => {
  t.match(only({ surname: 'x'.repeat(MAX_NAME_LENGTH + 1) }), {
    code: 'TANDEM_ERR_NAME_TOO_LONG',
    field: 'surname',
    message: /257 characters/,
  });
  // Code points, not UTF-16 units: 256 emoji are 512 units and still fit.
  const emoji = '😀'.repeat(MAX_NAME_LENGTH);
  t.ok(validateProfile({ ...valid, name: emoji }).ok);
  // The longest escapes JSON.stringify writes: 6 bytes for a control character or a lone surrogate.
  const worst = ['\u0001'.repeat(MAX_NAME_LENGTH), '\ud800'.repeat(MAX_NAME_LENGTH)];
  for (const name of worst) {
    const profile = { _id: 'i'.repeat(128), name, surname: name };
    t.ok(validateProfile(profile).ok);
    const bytes = encodedRowBytes({ id: profile._id, name, surname: name });
    t.ok(bytes <= ROW_BYTES_WORST_CASE && ROW_BYTES_WORST_CASE < MAX_ROW_BYTES, `${bytes} bytes`);
  }
});

t.test('TANDEM_ERR_BAD_AGE: out of range, fractional, a string, not finite', async (t) => {
  for (const age of [17, 121, 30.5, '30', null, Number.NaN, Number.POSITIVE_INFINITY, -1]) {
    t.match(
      only({ age }),
      { code: 'TANDEM_ERR_BAD_AGE', field: 'age', message: /`age` must be a whole number from 18 to 120/ },
      String(age),
    );
  }
  t.ok(validateProfile({ ...valid, age: 120 }).ok);
});

t.test('TANDEM_ERR_BAD_SEEKING: shape, types, ranges, unknown keys, ageMin above ageMax', async (t) => {
  const seeking = (value: unknown) => only({ seeking: value });
  t.match(seeking('any'), { code: 'TANDEM_ERR_BAD_SEEKING', field: 'seeking', message: /must be an object/ });
  t.match(seeking({ genders: 'f' }), { code: 'TANDEM_ERR_BAD_SEEKING', field: 'seeking.genders' });
  t.match(seeking({ genders: ['f', 3] }), { code: 'TANDEM_ERR_BAD_SEEKING', field: 'seeking.genders[1]' });
  t.match(seeking({ ageMin: 17 }), { code: 'TANDEM_ERR_BAD_SEEKING', field: 'seeking.ageMin', message: /from 18 to 120, got 17/ });
  t.match(seeking({ ageMax: '40' }), { code: 'TANDEM_ERR_BAD_SEEKING', field: 'seeking.ageMax', message: /from 18 to 120/ });
  t.match(seeking({ agemin: 20 }), { code: 'TANDEM_ERR_BAD_SEEKING', field: 'seeking.agemin', message: /not a field of seeking/ });
  t.match(seeking({ ageMin: 40, ageMax: 30 }), {
    code: 'TANDEM_ERR_BAD_SEEKING',
    field: 'seeking',
    message: /\(40\) is above `seeking.ageMax` \(30\)/,
  });
});

t.test('TANDEM_ERR_BAD_VECTOR: type, empty, NaN, Infinity, float32 overflow, all zeros, wrong length', async (t) => {
  const vector = (value: unknown, dims?: number) => only({ vector: value }, dims);
  t.match(vector('1,2'), { code: 'TANDEM_ERR_BAD_VECTOR', field: 'vector', message: /must be an array/ });
  t.match(vector([1, '2']), { code: 'TANDEM_ERR_BAD_VECTOR', field: 'vector[1]' });
  t.match(vector([]), { code: 'TANDEM_ERR_BAD_VECTOR', field: 'vector', message: /empty/ });
  t.match(vector([1, Number.NaN]), { code: 'TANDEM_ERR_BAD_VECTOR', field: 'vector[1]', message: /finite number, got NaN/ });
  t.match(vector([Number.NEGATIVE_INFINITY, 1]), { code: 'TANDEM_ERR_BAD_VECTOR', field: 'vector[0]', message: /-Infinity/ });
  t.match(vector([1, 1e39]), {
    code: 'TANDEM_ERR_BAD_VECTOR',
    field: 'vector',
    message: /`vector\[1\]` is 1e\+39, beyond the float32 range/,
  });
  t.match(vector([0, 0, 0]), { code: 'TANDEM_ERR_BAD_VECTOR', field: 'vector', message: /all zeros/ });
  t.match(vector([1e-50, 0]), { code: 'TANDEM_ERR_BAD_VECTOR', message: /all zeros \(as float32\)/ }, 'underflows to zero');
  t.match(vector([1, 2, 3], 4), { code: 'TANDEM_ERR_BAD_VECTOR', field: 'vector', message: /has 3 numbers; the index has 4 dimensions/ });
  t.match(vector(new Array(4097).fill(1)), { code: 'TANDEM_ERR_BAD_VECTOR', message: /at most 4096/ });
  t.ok(validateProfile({ ...valid, vector: [0, 0, 0, 1e-30] }, { dims: 4 }).ok);
});

t.test('TANDEM_ERR_BAD_FIELD: the wrong type for a known field', async (t) => {
  t.match(only({ gender: 1 }), { code: 'TANDEM_ERR_BAD_FIELD', field: 'gender', message: '`gender` must be a string, got 1' });
  t.match(only({ city: ['Oslo'] }), { code: 'TANDEM_ERR_BAD_FIELD', field: 'city', message: /got an array/ });
  t.match(only({ bio: {} }), { code: 'TANDEM_ERR_BAD_FIELD', field: 'bio', message: /got an object/ });
  t.match(only({ interests: 'chess' }), { code: 'TANDEM_ERR_BAD_FIELD', field: 'interests', message: /must be an array/ });
  t.match(only({ interests: ['chess', 2] }), { code: 'TANDEM_ERR_BAD_FIELD', field: 'interests[1]' });
});

t.test('every problem is reported at once, each code in the table with status 400', async (t) => {
  const found = problems({ _id: '', name: 1, age: 5, seeking: { ageMin: 1 }, vector: [0], interests: [1] }, 2);
  t.same(found.map((p) => p.code).sort(), [
    'TANDEM_ERR_BAD_AGE',
    'TANDEM_ERR_BAD_FIELD',
    'TANDEM_ERR_BAD_FIELD',
    'TANDEM_ERR_BAD_ID',
    'TANDEM_ERR_BAD_SEEKING',
    'TANDEM_ERR_BAD_VECTOR',
    'TANDEM_ERR_MISSING_NAME',
  ]);
  for (const code of Object.keys(PROFILE_ERRORS)) t.equal(PROFILE_ERRORS[code as keyof typeof PROFILE_ERRORS].statusCode, 400, code);
});

t.test('the schema compiles in an ajv configured as Fastify can be (draft-07, strict, coerceTypes false)', async (t) => {
  const ajv = new Ajv({ strict: true, coerceTypes: false, removeAdditional: false });
  const check = ajv.compile(profileSchema);
  t.ok(check({ ...valid, extra: 1 }), 'unknown fields pass');
  t.notOk(check({ ...valid, age: '20' }), 'no coercion');
  t.ok(check({ ...valid, seeking: { ageMin: 50, ageMax: 20 } }), 'the order of the age range is checked in code, not the schema');
});

t.test('in Fastify: removeAdditional must be off, or a misspelt seeking key is dropped instead of refused', async (t) => {
  const { default: Fastify } = await import('fastify');
  const body = { ...valid, extra: 1, seeking: { agemin: 30 } };
  const answers: Record<string, unknown>[] = [];
  for (const removeAdditional of [true, false]) {
    const app = Fastify({ ajv: { customOptions: { coerceTypes: false, removeAdditional } } });
    app.post('/profiles', { schema: { body: profileSchema } }, async (request) => request.body);
    const reply = await app.inject({ method: 'POST', url: '/profiles', payload: body });
    answers.push({ status: reply.statusCode, body: reply.json() });
    await app.close();
  }
  t.match(answers[0], { status: 200, body: { extra: 1, seeking: {} } }, "Fastify's default strips it");
  t.match(answers[1], { status: 400, body: { message: /seeking must NOT have additional properties/ } });
});
