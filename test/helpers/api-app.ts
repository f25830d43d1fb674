// The HTTP API alone, in-process for app.inject: a real profile store in a temporary folder and a
// stand-in for the supervisor that answers every query with `[]`. For tests of the HTTP layer
// (auth, login) that need no index and no children.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Test } from 'tap';
import type { AuthSettings } from '../../api/auth.js';
import { buildApi } from '../../api/server.js';
import { QuerySeconds } from '../../inspect/query-seconds.js';
import { ProfileStore } from '../../store/profile-store.js';
import type { QueryCallback } from '../../supervisor/query-router.js';

const answerEmpty = (_query: unknown, done: QueryCallback) => done({ ok: true, body: Buffer.from('[]') });

/** A built and ready API; `logged()` is everything it logged so far. */
export async function apiApp(t: Test, options: { writeTokens?: string[]; auth?: Partial<AuthSettings> } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-api-'));
  const store = ProfileStore.open(path.join(dir, 'profiles.db'));
  let logged = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged += chunk;
      done();
    },
  });
  const app = buildApi({
    supervisor: {
      query: answerEmpty,
      ready: true,
      status: () => {
        throw new Error('no supervisor status in this test');
      },
      querySeconds: new QuerySeconds(),
    },
    tracer: { recent: () => [], subscribe: () => () => {} },
    log: pino({ level: 'trace' }, sink),
    profiles: { store, writeTokens: options.writeTokens ?? [] },
    ...(options.auth ? { auth: options.auth } : {}),
  });
  t.teardown(async () => {
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await app.ready();
  return { app, logged: () => logged };
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

const HMAC_OF: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/** A JWT made by hand, not by the library under test: any claims, any secret, HS* or `none` (unsigned). */
export function signJwt(secret: string, claims: Record<string, unknown>, header: { alg: string } = { alg: 'HS256' }): string {
  const unsigned = `${base64url({ typ: 'JWT', ...header })}.${base64url(claims)}`;
  const hmac = HMAC_OF[header.alg];
  return `${unsigned}.${hmac ? createHmac(hmac, secret).update(unsigned).digest('base64url') : ''}`;
}

/** The claims of a JWT, unchecked. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
