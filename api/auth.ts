// Who may call a route: each route declares `config: { scope: 'read' | 'write' }` and one onRoute
// hook gives exactly those routes a guard, so a route added later only has to say its scope. A
// bearer token is a static write token (read and write) or a JWT from POST /api/login whose
// `scope` claim (a JSON array) holds the scope. Static tokens and the login password are compared
// as sha256 digests with timingSafeEqual (constant time whatever their lengths) and never logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { httpError } from './errors.js';
import { sendError } from './reply-error.js';

export type Scope = 'read' | 'write';
export const SCOPES: readonly Scope[] = ['read', 'write'];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a bearer token needs for this route; none: the route is open. */
    scope?: Scope;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { scope: Scope[] };
  }
}

export const digest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

/** Tokens from TANDEM_WRITE_TOKEN (comma-separated) and the file TANDEM_WRITE_TOKEN_FILE names (one per line). */
export function writeTokensFromEnv(env: NodeJS.ProcessEnv): string[] {
  const tokens = (env.TANDEM_WRITE_TOKEN ?? '').split(',');
  if (env.TANDEM_WRITE_TOKEN_FILE) tokens.push(...readFileSync(env.TANDEM_WRITE_TOKEN_FILE, 'utf8').split('\n'));
  return tokens.map((token) => token.trim()).filter(Boolean);
}

/** `true` when any of `digests` is `offered`'s; every one is compared, so timing tells nothing. */
export function matchesAny(offered: Buffer, digests: readonly Buffer[]): boolean {
  let known = false;
  for (const candidate of digests) known = timingSafeEqual(offered, candidate) || known;
  return known;
}

export interface AuthOptions {
  /** Static bearer tokens: each one may read and write. */
  writeTokens: readonly string[];
  /** Signs and checks the login JWTs (HS256). */
  jwtSecret: string;
  /** Read routes need a token (TANDEM_READ_AUTH=required); otherwise they stay open. */
  readAuth: boolean;
}

// Three base64url parts: a token of that shape is checked as a JWT, any other as a static token.
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

function hasScope(claims: { scope?: unknown }, scope: Scope): boolean {
  return Array.isArray(claims.scope) && claims.scope.includes(scope);
}

/** Registers @fastify/jwt and the guard; call before any route is declared, or it goes unguarded. */
export function registerAuth(app: FastifyInstance, options: AuthOptions): void {
  app.register(fastifyJwt, {
    secret: options.jwtSecret,
    sign: { algorithm: 'HS256' },
    // Only our own algorithm: a token may not choose how it is checked.
    verify: { algorithms: ['HS256'] },
  });
  const digests = options.writeTokens.map(digest);

  const guard =
    (scope: Scope): onRequestHookHandler =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const header = request.headers.authorization;
      const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match) return sendError(reply.header('www-authenticate', 'Bearer'), httpError('TANDEM_ERR_UNAUTHORIZED', scope));
      const token = match[1]!;
      if (matchesAny(digest(token), digests)) return;
      // Not a static token and not shaped as a JWT: refused as an unknown token always was.
      if (!JWT_SHAPE.test(token)) return sendError(reply, httpError('TANDEM_ERR_FORBIDDEN'));
      let claims: { scope?: unknown };
      try {
        claims = app.jwt.verify(token);
      } catch (err) {
        const expired = (err as { code?: string }).code === 'FAST_JWT_EXPIRED';
        reply.header('www-authenticate', 'Bearer error="invalid_token"');
        return sendError(reply, expired ? httpError('TANDEM_ERR_TOKEN_EXPIRED') : httpError('TANDEM_ERR_BAD_TOKEN'));
      }
      if (!hasScope(claims, scope)) return sendError(reply, httpError('TANDEM_ERR_FORBIDDEN', `the token lacks the "${scope}" scope`));
    };
  const guards = { read: guard('read'), write: guard('write') };

  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope;
    if (scope === undefined) return;
    if (!SCOPES.includes(scope)) throw new Error(`route ${route.method} ${route.url}: unknown scope ${JSON.stringify(scope)}`);
    // Open reads get no hook at all: nothing added to the query path.
    if (scope === 'read' && !options.readAuth) return;
    const existing = route.onRequest ?? [];
    route.onRequest = [guards[scope], ...(Array.isArray(existing) ? existing : [existing])];
  });
}

/** How the API authenticates, as configured; see `authSettingsFromEnv` for the variables. */
export interface AuthSettings {
  loginPassword?: string;
  /** Random per process when unset: tokens then die with the process. */
  jwtSecret?: string;
  tokenTtlSec: number;
  loginMaxAttempts: number;
  loginWindowSec: number;
  readAuth: boolean;
}

export const AUTH_DEFAULTS: AuthSettings = { tokenTtlSec: 3600, loginMaxAttempts: 5, loginWindowSec: 60, readAuth: false };

/** HS256 wants a key at least as long as its hash (RFC 7518 3.2): 32 bytes. */
export const MIN_SECRET_LENGTH = 32;

function positiveWhole(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number >= 1, got ${raw}`);
  return value;
}

/** TANDEM_LOGIN_PASSWORD, TANDEM_JWT_SECRET, TANDEM_TOKEN_TTL_S, TANDEM_LOGIN_MAX_ATTEMPTS, TANDEM_LOGIN_WINDOW_S, TANDEM_READ_AUTH; throws on a bad value. */
export function authSettingsFromEnv(env: NodeJS.ProcessEnv): AuthSettings {
  const readAuth = env.TANDEM_READ_AUTH ?? 'open';
  if (readAuth !== 'open' && readAuth !== 'required') throw new Error(`TANDEM_READ_AUTH must be "open" or "required", got ${readAuth}`);
  const secret = env.TANDEM_JWT_SECRET || undefined;
  if (secret !== undefined && Buffer.byteLength(secret) < MIN_SECRET_LENGTH)
    throw new Error(`TANDEM_JWT_SECRET must be at least ${MIN_SECRET_LENGTH} bytes long`);
  return {
    ...(env.TANDEM_LOGIN_PASSWORD ? { loginPassword: env.TANDEM_LOGIN_PASSWORD } : {}),
    ...(secret ? { jwtSecret: secret } : {}),
    tokenTtlSec: positiveWhole(env, 'TANDEM_TOKEN_TTL_S', AUTH_DEFAULTS.tokenTtlSec),
    loginMaxAttempts: positiveWhole(env, 'TANDEM_LOGIN_MAX_ATTEMPTS', AUTH_DEFAULTS.loginMaxAttempts),
    loginWindowSec: positiveWhole(env, 'TANDEM_LOGIN_WINDOW_S', AUTH_DEFAULTS.loginWindowSec),
    readAuth: readAuth === 'required',
  };
}
