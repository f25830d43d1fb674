// The HTTP error table: every code well-formed, Fastify's own errors restated in it, every channel
// code mapped onto it, and the one code only a shutdown produces.
import t from 'tap';
import { HTTP_ERRORS } from '../api/errors.js';
import { fromFastifyError } from '../api/fastify-errors.js';
import { outcomeError } from '../api/reply-error.js';
import type { QueryErrorCode } from '../channel/errors.js';
import { CHILD_QUERY_ERRORS, ROUTER_QUERY_ERRORS } from '../channel/errors.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const raised = (message: string, fields: { statusCode?: number; code?: string; validation?: unknown }) =>
  Object.assign(new Error(message), fields);

t.test('every code is TANDEM_ERR_*, a 4xx or 5xx, and every 503 says when to retry', async (t) => {
  for (const [code, entry] of Object.entries(HTTP_ERRORS)) {
    t.match(code, /^TANDEM_ERR_[A-Z_]+$/);
    t.ok(entry.status >= 400 && entry.status < 600, `${code}: ${entry.status}`);
    if (entry.status === 503) t.equal('retryAfterSec' in entry && entry.retryAfterSec, 1, `${code} has Retry-After`);
  }
});

t.test("Fastify's own errors come out as our codes", async (t) => {
  const cases: [Error, number, string][] = [
    [raised('body/n must be >= 1', { statusCode: 400, validation: [{}] }), 400, 'TANDEM_ERR_BAD_BODY'],
    [raised('Request body is too large', { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }), 413, 'TANDEM_ERR_BODY_TOO_LARGE'],
    [raised('Unexpected end', { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }), 400, 'TANDEM_ERR_BAD_JSON'],
    [
      raised("'/x' is exceeding the max param length", { statusCode: 414, code: 'FST_ERR_MAX_PARAM_LENGTH' }),
      414,
      'TANDEM_ERR_URI_TOO_LONG',
    ],
    [raised("'/%zz' is not a valid url component", { statusCode: 400, code: 'FST_ERR_BAD_URL' }), 400, 'TANDEM_ERR_BAD_REQUEST'],
    [raised('secret stack detail', {}), 500, 'TANDEM_ERR_INTERNAL'],
  ];
  for (const [error, status, code] of cases) {
    const apiError = fromFastifyError(error, 'application/json');
    t.match(apiError, { statusCode: status, code }, `${error.message} -> ${code}`);
  }
  t.notMatch(fromFastifyError(raised('secret stack detail', {}), undefined).message, /secret/, 'a 500 leaks nothing');
});

t.test('every query failure code maps to an HTTP code of the table', async (t) => {
  const expected: Record<QueryErrorCode, [number, string]> = {
    UNKNOWN_ID: [404, 'TANDEM_ERR_UNKNOWN_ID'],
    BAD_QUERY: [400, 'TANDEM_ERR_BAD_QUERY'],
    NO_INDEX: [503, 'TANDEM_ERR_NO_INDEX'],
    NO_ANSWERER: [503, 'TANDEM_ERR_NO_INDEX'],
    CHANGES_UNAVAILABLE: [503, 'TANDEM_ERR_STORE_UNAVAILABLE'],
    OVERLOADED: [503, 'TANDEM_ERR_OVERLOADED'],
    TIMEOUT: [504, 'TANDEM_ERR_QUERY_TIMEOUT'],
    INTERNAL: [500, 'TANDEM_ERR_INTERNAL'],
    VERSION_GONE: [410, 'TANDEM_ERR_CURSOR_EXPIRED'],
    NO_VECTORIZER: [422, 'TANDEM_ERR_NO_VECTORIZER'],
  };
  t.same(Object.keys(expected).sort(), [...Object.keys(CHILD_QUERY_ERRORS), ...Object.keys(ROUTER_QUERY_ERRORS)].sort());
  for (const [code, [status, httpCode]] of Object.entries(expected) as [QueryErrorCode, [number, string]][]) {
    t.match(outcomeError({ ok: false, code, body: null }), { statusCode: status, code: httpCode }, code);
  }
});

t.test('while stopping: /ready is 503 TANDEM_ERR_SHUTTING_DOWN at once, queries are still answered in the grace', async (t) => {
  const fx = await startFixture(t, { count: 100 });
  await waitFor('served', async () => (await fx.status()).servingVersion);
  const stopped = fx.system.stop(1500);
  const ready = await fetch(`${fx.system.url}/ready`);
  t.equal(ready.status, 503);
  t.equal(ready.headers.get('retry-after'), '1');
  t.match(await ready.json(), { code: 'TANDEM_ERR_SHUTTING_DOWN' });
  t.equal((await fx.get(`/recommend/${fx.ids[0]}/3`)).status, 200, 'a query in the grace period is answered');
  await stopped;
});
