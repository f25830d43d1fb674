// POST /api/login and the tokens it gives: scopes on writes and (TANDEM_READ_AUTH=required) reads,
// expiry, bad signatures, the rate limit, login switched off; static write tokens keep working.
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { authSettingsFromEnv } from '../api/auth.js';
import { apiApp, claimsOf, signJwt } from './helpers/api-app.js';

const PASSWORD = 'correct horse battery staple';
const SECRET = 'a-test-secret-of-at-least-32-bytes-0123456789';
const STATIC = 'static-write-token-4c1e';
const ada = { name: 'Ada', surname: 'Lovelace', age: 36 };
const now = () => Math.floor(Date.now() / 1000);

type App = Awaited<ReturnType<typeof apiApp>>['app'];

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const login = (app: App, body: unknown, remoteAddress = '127.0.0.1') =>
  app.inject({ method: 'POST', url: '/api/login', payload: body as object, remoteAddress });
const put = (app: App, headers: Record<string, string> = {}) => app.inject({ method: 'PUT', url: '/profiles/ada', payload: ada, headers });
const recommend = (app: App, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: '/recommend/ada/3', headers });
const search = (app: App, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/search', payload: { vector: [1, 0], n: 2 }, headers });

function expectError(t: Test, response: LightMyRequestResponse, status: number, code: string, message?: RegExp) {
  t.equal(response.statusCode, status, `${code}: status ${status}`);
  t.match(response.json(), { statusCode: status, error: String, code, message: message ?? String }, code);
}

const auth = (more: object = {}) => ({ loginPassword: PASSWORD, jwtSecret: SECRET, loginMaxAttempts: 100, ...more });

t.test('login gives a Bearer JWT with read and write: it writes, and reads when read auth is required', async (t) => {
  const { app, logged } = await apiApp(t, { auth: auth({ readAuth: true, tokenTtlSec: 120 }) });
  const response = await login(app, { password: PASSWORD });
  t.equal(response.statusCode, 200);
  t.equal(response.headers['cache-control'], 'no-store', 'no cache keeps the token');
  const body = response.json() as { access_token: string; token_type: string; expires_in: number };
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type']);
  t.equal(body.token_type, 'Bearer');
  t.equal(body.expires_in, 120, 'TANDEM_TOKEN_TTL_S');
  const claims = claimsOf(body.access_token);
  t.same(claims.scope, ['read', 'write'], 'scope is a JSON array');
  t.equal(Number(claims.exp) - Number(claims.iat), 120, 'exp is the lifetime after iat');
  const token = bearer(body.access_token);
  t.equal((await put(app, token)).statusCode, 201, 'a write');
  t.equal((await recommend(app, token)).statusCode, 200, 'a recommendation');
  t.equal((await search(app, token)).statusCode, 200, 'a search');
  t.equal((await app.inject({ method: 'GET', url: '/profiles/ada', headers: token })).statusCode, 200, 'a profile');
  t.notOk(logged().includes(PASSWORD), 'the password is in no log line');
  t.notOk(logged().includes(body.access_token), 'the token is in no log line');
});

t.test('wrong password 401; a missing, unknown or mistyped field 400; never a 5xx', async (t) => {
  const { app } = await apiApp(t, { auth: auth() });
  expectError(t, await login(app, { password: `${PASSWORD}!` }), 401, 'TANDEM_ERR_BAD_PASSWORD', /wrong password/);
  expectError(t, await login(app, { password: PASSWORD.slice(0, -1) }), 401, 'TANDEM_ERR_BAD_PASSWORD');
  expectError(t, await login(app, {}), 400, 'TANDEM_ERR_BAD_BODY', /password/);
  expectError(t, await login(app, { password: PASSWORD, user: 'x' }), 400, 'TANDEM_ERR_BAD_BODY', /unknown field "user"/);
  expectError(t, await login(app, { pasword: PASSWORD }), 400, 'TANDEM_ERR_BAD_BODY', /password/);
  expectError(t, await login(app, { password: 12345 }), 400, 'TANDEM_ERR_BAD_BODY', /string/);
  expectError(t, await login(app, { password: '' }), 400, 'TANDEM_ERR_BAD_BODY');
  expectError(t, await login(app, [PASSWORD]), 400, 'TANDEM_ERR_BAD_BODY');
  const notJson = await app.inject({
    method: 'POST',
    url: '/api/login',
    payload: '{"password":',
    headers: { 'content-type': 'application/json' },
  });
  expectError(t, notJson, 400, 'TANDEM_ERR_BAD_JSON');
  expectError(t, await app.inject({ method: 'GET', url: '/api/login' }), 405, 'TANDEM_ERR_METHOD_NOT_ALLOWED');
});

t.test('the rate limit: attempt N+1 from one address is a 429 with Retry-After, even with the right password', async (t) => {
  const { app } = await apiApp(t, { auth: auth({ loginMaxAttempts: 3, loginWindowSec: 60 }) });
  for (let i = 1; i <= 3; i++) expectError(t, await login(app, { password: 'guess' }), 401, 'TANDEM_ERR_BAD_PASSWORD');
  const limited = await login(app, { password: PASSWORD });
  expectError(t, limited, 429, 'TANDEM_ERR_TOO_MANY_ATTEMPTS', /too many login attempts/);
  t.same(Object.keys(limited.json()).sort(), ['code', 'error', 'message', 'statusCode']);
  t.equal(limited.json().error, 'Too Many Requests');
  const retryAfter = Number(limited.headers['retry-after']);
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After is within the window: ${limited.headers['retry-after']}`);
  t.equal((await login(app, { password: PASSWORD }, '10.0.0.2')).statusCode, 200, 'another address is not limited');
  for (let i = 0; i < 5; i++)
    t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'other routes are not limited');
});

t.test('an expired token 401 TANDEM_ERR_TOKEN_EXPIRED; a forged or malformed one 401 TANDEM_ERR_BAD_TOKEN', async (t) => {
  const { app } = await apiApp(t, { auth: auth() });
  const expired = signJwt(SECRET, { scope: ['read', 'write'], iat: now() - 120, exp: now() - 60 });
  const response = await put(app, bearer(expired));
  expectError(t, response, 401, 'TANDEM_ERR_TOKEN_EXPIRED', /expired/);
  t.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"');
  const fresh = signJwt(SECRET, { scope: ['read', 'write'], iat: now(), exp: now() + 60 });
  t.equal((await put(app, bearer(fresh))).statusCode, 201, 'the same claims, not expired, pass');
  const forged = signJwt('another-secret-of-at-least-32-bytes-000000', { scope: ['read', 'write'], exp: now() + 60 });
  expectError(t, await put(app, bearer(forged)), 401, 'TANDEM_ERR_BAD_TOKEN');
  const unsigned = `${fresh.split('.').slice(0, 2).join('.')}.`;
  expectError(t, await put(app, bearer(unsigned)), 401, 'TANDEM_ERR_BAD_TOKEN', /not valid/);
  const none = signJwt(SECRET, { scope: ['write'], exp: now() + 60 }, { alg: 'none' });
  expectError(t, await put(app, bearer(none)), 401, 'TANDEM_ERR_BAD_TOKEN', /not valid/);
  // Rightly signed with the secret, but by an algorithm the service does not use: a token does not pick how it is checked.
  const hs512 = signJwt(SECRET, { scope: ['write'], exp: now() + 60 }, { alg: 'HS512' });
  expectError(t, await put(app, bearer(hs512)), 401, 'TANDEM_ERR_BAD_TOKEN');
  expectError(t, await put(app, bearer('abc.def.ghi')), 401, 'TANDEM_ERR_BAD_TOKEN');
});

t.test('a login token expires after TANDEM_TOKEN_TTL_S', async (t) => {
  const { app } = await apiApp(t, { auth: auth({ tokenTtlSec: 1 }) });
  const { access_token: token } = (await login(app, { password: PASSWORD })).json() as { access_token: string };
  // JWT times are whole seconds: 2.1 s later the exp second has passed whatever the start.
  await new Promise((resolve) => setTimeout(resolve, 2100));
  expectError(t, await put(app, bearer(token)), 401, 'TANDEM_ERR_TOKEN_EXPIRED');
});

t.test('a read-only token: 403 TANDEM_ERR_FORBIDDEN naming the scope on a write, a read passes', async (t) => {
  const { app } = await apiApp(t, { auth: auth({ readAuth: true }) });
  const reader = bearer(signJwt(SECRET, { scope: ['read'], exp: now() + 60 }));
  expectError(t, await put(app, reader), 403, 'TANDEM_ERR_FORBIDDEN', /lacks the "write" scope/);
  t.equal((await recommend(app, reader)).statusCode, 200);
  const unscoped = bearer(signJwt(SECRET, { exp: now() + 60 }));
  expectError(t, await recommend(app, unscoped), 403, 'TANDEM_ERR_FORBIDDEN', /lacks the "read" scope/);
  const stringScope = bearer(signJwt(SECRET, { scope: 'read write', exp: now() + 60 }));
  expectError(t, await put(app, stringScope), 403, 'TANDEM_ERR_FORBIDDEN', /"write" scope/);
});

t.test('TANDEM_READ_AUTH=required: 401 without a token, 200 with; health and login stay open', async (t) => {
  const { app } = await apiApp(t, { writeTokens: [STATIC], auth: auth({ readAuth: true }) });
  for (const [name, query] of [
    ['recommend', recommend],
    ['search', search],
  ] as const) {
    const none = await query(app);
    expectError(t, none, 401, 'TANDEM_ERR_UNAUTHORIZED', /reads need a token/);
    t.equal(none.headers['www-authenticate'], 'Bearer', `${name}: WWW-Authenticate`);
    expectError(t, await query(app, bearer('not-a-token')), 403, 'TANDEM_ERR_FORBIDDEN');
    t.equal((await query(app, bearer(STATIC))).statusCode, 200, `${name}: a static write token reads too`);
  }
  expectError(t, await app.inject({ method: 'GET', url: '/profiles/ada' }), 401, 'TANDEM_ERR_UNAUTHORIZED');
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, '/health is open');
  t.equal((await login(app, { password: PASSWORD })).statusCode, 200, '/api/login is open');
  expectError(t, await app.inject({ method: 'GET', url: '/nowhere' }), 404, 'TANDEM_ERR_NO_ROUTE');
});

t.test('reads are open by default, whatever token is sent', async (t) => {
  const { app } = await apiApp(t, { writeTokens: [STATIC], auth: auth() });
  t.equal((await recommend(app)).statusCode, 200, 'recommend');
  t.equal((await search(app)).statusCode, 200, 'search');
  t.equal((await recommend(app, bearer('garbage'))).statusCode, 200, 'a bad token on an open read is not looked at');
  t.equal((await app.inject({ method: 'GET', url: '/profiles/ada' })).statusCode, 404, 'a profile read: absent, not refused');
  expectError(t, await put(app), 401, 'TANDEM_ERR_UNAUTHORIZED', /changes profiles/);
});

t.test('static write tokens work as before, next to login', async (t) => {
  const { app } = await apiApp(t, { writeTokens: [STATIC], auth: auth() });
  t.equal((await put(app, bearer(STATIC))).statusCode, 201);
  expectError(t, await put(app, bearer(`${STATIC}x`)), 403, 'TANDEM_ERR_FORBIDDEN', /not one this service accepts/);
  const deleted = await app.inject({ method: 'DELETE', url: '/profiles/ada', headers: bearer(STATIC) });
  t.equal(deleted.statusCode, 204);
});

t.test('without TANDEM_LOGIN_PASSWORD: 404 TANDEM_ERR_LOGIN_DISABLED whatever the body', async (t) => {
  const { app } = await apiApp(t, { writeTokens: [STATIC], auth: { jwtSecret: SECRET } });
  expectError(t, await login(app, { password: PASSWORD }), 404, 'TANDEM_ERR_LOGIN_DISABLED', /TANDEM_LOGIN_PASSWORD/);
  expectError(t, await login(app, { password: '' }), 404, 'TANDEM_ERR_LOGIN_DISABLED');
  const notJson = await app.inject({ method: 'POST', url: '/api/login', payload: '{', headers: { 'content-type': 'application/json' } });
  expectError(t, notJson, 404, 'TANDEM_ERR_LOGIN_DISABLED');
  const signed = bearer(signJwt(SECRET, { scope: ['write'], exp: now() + 60 }));
  t.equal((await put(app, signed)).statusCode, 201, 'a token signed with TANDEM_JWT_SECRET still writes');
});

t.test('the settings from the environment: defaults, values, refusals', async (t) => {
  t.same(authSettingsFromEnv({}), { tokenTtlSec: 3600, loginMaxAttempts: 5, loginWindowSec: 60, readAuth: false });
  t.same(
    authSettingsFromEnv({
      TANDEM_LOGIN_PASSWORD: 'pw',
      TANDEM_JWT_SECRET: SECRET,
      TANDEM_TOKEN_TTL_S: '60',
      TANDEM_LOGIN_MAX_ATTEMPTS: '10',
      TANDEM_LOGIN_WINDOW_S: '30',
      TANDEM_READ_AUTH: 'required',
    }),
    { loginPassword: 'pw', jwtSecret: SECRET, tokenTtlSec: 60, loginMaxAttempts: 10, loginWindowSec: 30, readAuth: true },
  );
  t.throws(() => authSettingsFromEnv({ TANDEM_TOKEN_TTL_S: '0' }), /TANDEM_TOKEN_TTL_S must be a whole number >= 1, got 0/);
  t.throws(() => authSettingsFromEnv({ TANDEM_TOKEN_TTL_S: '1.5' }), /TANDEM_TOKEN_TTL_S/);
  t.throws(() => authSettingsFromEnv({ TANDEM_LOGIN_MAX_ATTEMPTS: 'many' }), /TANDEM_LOGIN_MAX_ATTEMPTS/);
  t.throws(() => authSettingsFromEnv({ TANDEM_JWT_SECRET: 'short' }), /at least 32 bytes/);
  t.throws(() => authSettingsFromEnv({ TANDEM_READ_AUTH: 'yes' }), /"open" or "required", got yes/);
});
