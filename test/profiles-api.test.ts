// The write API over HTTP against a real store: create, replace, read, delete, each with its seq;
// the token; validation codes case by case; NDJSON bulk line by line; a locked store is a 503.
import path from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { startFixture } from './helpers/system-fixture.js';

const TOKEN = 'test-write-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

async function system(t: Test) {
  const fx = await startFixture(t, { count: 50, writeTokens: [TOKEN] });
  const call = async (method: string, pathname: string, body?: unknown, headers: Record<string, string> = AUTH) => {
    const response = await fetch(fx.system.url + pathname, {
      method,
      headers: { ...headers, ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
  };
  return { fx, call };
}

const ada = { name: 'Ada', surname: 'Lovelace', age: 36, city: 'London', interests: ['maths'], favouriteEngine: 'analytical' };

t.test('PUT creates (201) then replaces (200), GET returns it as given, DELETE removes it (204), each write with its seq', async (t) => {
  const { call } = await system(t);
  const created = await call('PUT', '/profiles/ada', ada);
  t.equal(created.status, 201);
  t.match(created.json(), { _id: 'ada', created: true, seq: 1 });
  const replaced = await call('PUT', '/profiles/ada', { ...ada, age: 37 });
  t.equal(replaced.status, 200);
  t.match(replaced.json(), { _id: 'ada', created: false, seq: 2 });
  const read = await call('GET', '/profiles/ada', undefined, {});
  t.equal(read.status, 200, 'reading needs no token');
  t.same(read.json(), { ...ada, age: 37, _id: 'ada' }, 'unknown fields kept');
  const deleted = await call('DELETE', '/profiles/ada');
  t.equal(deleted.status, 204);
  t.equal(deleted.headers.get('tandem-seq'), '3');
  t.match((await call('DELETE', '/profiles/ada')).json(), { code: 'TANDEM_ERR_UNKNOWN_ID' }, 'a second delete: 404');
  t.equal((await call('GET', '/profiles/ada')).status, 404);
});

t.test('writes need the token: none 401, wrong 403, reads stay open', async (t) => {
  const { call } = await system(t);
  t.match((await call('PUT', '/profiles/x', ada, {})).json(), { statusCode: 401, code: 'TANDEM_ERR_UNAUTHORIZED' });
  t.match((await call('DELETE', '/profiles/x', undefined, { authorization: 'Bearer nope' })).json(), {
    statusCode: 403,
    code: 'TANDEM_ERR_FORBIDDEN',
  });
  t.equal((await call('PUT', '/profiles/x', ada, {})).status, 401);
  t.equal((await call('GET', '/profiles/x', undefined, {})).status, 404, 'a read is not refused, the profile is just absent');
});

t.test('bad writes: each a 400 with its own code and the field to fix', async (t) => {
  const { call } = await system(t);
  const cases: [string, unknown, string][] = [
    ['missing name', { surname: 'X' }, 'TANDEM_ERR_MISSING_NAME'],
    ['age out of range', { ...ada, age: 12 }, 'TANDEM_ERR_BAD_AGE'],
    ['age not whole', { ...ada, age: 30.5 }, 'TANDEM_ERR_BAD_AGE'],
    ['seeking upside down', { ...ada, seeking: { genders: ['male'], ageMin: 40, ageMax: 30 } }, 'TANDEM_ERR_BAD_SEEKING'],
    ['vector all zeros', { ...ada, vector: new Array(128).fill(0) }, 'TANDEM_ERR_BAD_VECTOR'],
    ['vector of the wrong length', { ...ada, vector: [0.1, 0.2, 0.3] }, 'TANDEM_ERR_BAD_VECTOR'],
    ['interests not strings', { ...ada, interests: [1, 2] }, 'TANDEM_ERR_BAD_FIELD'],
    ['an array, not a profile', [ada], 'TANDEM_ERR_BAD_PROFILE'],
    ['_id differs from the URL', { ...ada, _id: 'someone-else' }, 'TANDEM_ERR_BAD_ID'],
  ];
  for (const [name, body, code] of cases) {
    const response = await call('PUT', '/profiles/p1', body);
    t.equal(response.status, 400, `${name}: 400`);
    t.match(response.json(), { code, message: String }, `${name}: ${code}`);
  }
  t.match((await call('PUT', `/profiles/${'x'.repeat(200)}`, ada)).json(), { code: 'TANDEM_ERR_BAD_ID' }, 'a bad id in the URL');
  const plain = await call('PUT', '/profiles/p1', 'name=Ada', { ...AUTH, 'content-type': 'text/plain' });
  t.match(plain.json(), { statusCode: 415, code: 'TANDEM_ERR_UNSUPPORTED_MEDIA_TYPE' });
  const patch = await call('PATCH', '/profiles/p1', ada);
  t.equal(patch.status, 405);
  t.equal(patch.headers.get('allow'), 'GET, PUT, DELETE');
  t.equal((await call('GET', '/profiles/p1')).status, 404, 'nothing was written');
});

t.test('bulk NDJSON: one result line per input line, in order; good lines kept, bad ones reported, the rest goes on', async (t) => {
  const { fx, call } = await system(t);
  const lines = [
    JSON.stringify({ _id: 'b1', ...ada }),
    '{"_id": "b2", "name": ',
    JSON.stringify({ _id: 'b3', surname: 'NoName' }),
    '',
    JSON.stringify({ _id: 'b4', name: 'Grace', surname: 'Hopper' }),
    `{"_id":"b5","name":"${'x'.repeat(300 * 1024)}"}`,
    JSON.stringify({ _id: 'b6', name: 'Alan', surname: 'Turing' }),
    JSON.stringify({ _id: 'b7', name: 'Short', surname: 'Vector', vector: [1, 2, 3] }),
    JSON.stringify({ _id: 'b8', name: 'Edsger', surname: 'Dijkstra' }),
  ];
  const response = await call('POST', '/profiles/bulk', `${lines.join('\n')}\n`, { ...AUTH, 'content-type': 'application/x-ndjson' });
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /application\/x-ndjson/);
  const results = response.text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  t.match(results, [
    { line: 1, _id: 'b1', ok: true, seq: Number },
    { line: 2, _id: null, ok: false, code: 'TANDEM_ERR_BAD_JSON' },
    { line: 3, _id: 'b3', ok: false, code: 'TANDEM_ERR_MISSING_NAME' },
    { line: 5, _id: 'b4', ok: true, seq: Number },
    { line: 6, ok: false, code: 'TANDEM_ERR_LINE_TOO_LONG' },
    { line: 7, _id: 'b6', ok: true, seq: Number },
    { line: 8, _id: 'b7', ok: false, code: 'TANDEM_ERR_BAD_VECTOR', message: /3 numbers; the index has 128/ },
    { line: 9, _id: 'b8', ok: true, seq: Number },
  ]);
  t.equal(results.length, 8, 'the empty line is no record');
  const store = fx.system.store!;
  t.same(
    ['b1', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8'].map((id) => store.get(id) !== null),
    [true, false, true, false, true, false, true],
    'a vector of the wrong length fails its line only, not the good lines written with it',
  );
  t.equal((await call('POST', '/profiles/bulk', '{}', { 'content-type': 'application/x-ndjson' })).status, 401, 'bulk needs the token too');
});

t.test('a store that cannot be written: 503 TANDEM_ERR_STORE_UNAVAILABLE with Retry-After, and nothing claimed written', async (t) => {
  const { fx, call } = await system(t);
  const blocker = new Database(path.join(fx.dir, 'profiles.db'));
  blocker.pragma('busy_timeout = 0');
  blocker.exec('BEGIN IMMEDIATE');
  t.teardown(() => blocker.close());
  const refused = await call('PUT', '/profiles/locked', ada);
  t.equal(refused.status, 503);
  t.equal(refused.headers.get('retry-after'), '1');
  t.match(refused.json(), { code: 'TANDEM_ERR_STORE_UNAVAILABLE' });
  blocker.exec('ROLLBACK');
  t.equal((await call('GET', '/profiles/locked')).status, 404, 'the refused write is not there');
  t.equal((await call('PUT', '/profiles/locked', ada)).status, 201, 'once the lock is gone, writes work again');
});
