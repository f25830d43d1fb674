// The write token: none is 401, a wrong one 403, the right one passes; the token reaches no log.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import t, { type Test } from 'tap';
import { registerAuth, writeTokensFromEnv } from '../api/auth.js';

const TOKEN = 'tok-3f9a1c7e5b2d4a6f8e0c';

async function appWithLog(t: Test) {
  let logged = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged += chunk;
      done();
    },
  });
  const app = Fastify({ loggerInstance: pino({ level: 'trace' }, sink) as FastifyBaseLogger });
  registerAuth(app, { writeTokens: ['other-token', TOKEN], jwtSecret: 'a-secret-for-this-test-only-32-bytes!', readAuth: false });
  app.put('/profiles/:id', { config: { scope: 'write' } }, async () => ({ ok: true }));
  t.teardown(() => app.close());
  return { app, logged: () => logged };
}

t.test('no token 401, a wrong one 403, the right one passes, and the token is never logged', async (t) => {
  const { app, logged } = await appWithLog(t);
  const put = (authorization?: string) =>
    app.inject({ method: 'PUT', url: '/profiles/a', ...(authorization ? { headers: { authorization } } : {}) });
  const none = await put();
  t.equal(none.statusCode, 401);
  t.equal(none.headers['www-authenticate'], 'Bearer');
  t.match(none.json(), { code: 'TANDEM_ERR_UNAUTHORIZED' });
  t.match((await put('Basic abc')).json(), { code: 'TANDEM_ERR_UNAUTHORIZED' }, 'another scheme is no token');
  const wrong = await put(`Bearer ${TOKEN}x`);
  t.equal(wrong.statusCode, 403);
  t.match(wrong.json(), { code: 'TANDEM_ERR_FORBIDDEN' });
  t.equal((await put(`Bearer ${TOKEN.slice(0, -1)}`)).statusCode, 403, 'a prefix is not the token');
  t.equal((await put(`Bearer ${TOKEN}`)).statusCode, 200);
  t.equal((await put(`bearer ${TOKEN}`)).statusCode, 200, 'the scheme is case-insensitive');
  t.ok(logged().length > 0, 'requests were logged');
  t.notOk(logged().includes(TOKEN), 'the token is in no log line');
});

t.test('tokens come from TANDEM_WRITE_TOKEN and the file TANDEM_WRITE_TOKEN_FILE names', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-auth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'write-token');
  writeFileSync(file, 'from-file\n\n', { mode: 0o600 });
  t.same(writeTokensFromEnv({ TANDEM_WRITE_TOKEN: 'a, b', TANDEM_WRITE_TOKEN_FILE: file }), ['a', 'b', 'from-file']);
  t.same(writeTokensFromEnv({}), [], 'none configured');
});
