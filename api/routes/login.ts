// POST /api/login: the password (TANDEM_LOGIN_PASSWORD) for a JWT with the read and write scopes.
// Attempts are rate-limited per client address; the limiter lives in this plugin's scope only.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { digest, matchesAny, type Scope } from '../auth.js';
import { httpError } from '../errors.js';
import { sendError } from '../reply-error.js';
import { loginSchema } from '../schemas/login.js';

export interface LoginOptions {
  /** Without one, the route answers 404 TANDEM_ERR_LOGIN_DISABLED. */
  password?: string;
  tokenTtlSec: number;
  /** Attempts per client address per window, right or wrong. */
  maxAttempts: number;
  windowSec: number;
}

const GRANTED: Scope[] = ['read', 'write'];

export function loginRoutes(app: FastifyInstance, options: LoginOptions): void {
  const { password } = options;
  if (password === undefined) {
    // Refused before the body is read: nothing a client sends makes a difference.
    app.post(
      '/api/login',
      { schema: loginSchema, onRequest: async (_request, reply) => sendError(reply, httpError('TANDEM_ERR_LOGIN_DISABLED')) },
      () => {},
    );
    return;
  }
  const expected = [digest(password)];
  app.register(async (scope) => {
    await scope.register(rateLimit, {
      global: false,
      // The 429 goes through the API's error handler as TANDEM_ERR_TOO_MANY_ATTEMPTS (fastify-errors.ts).
      errorResponseBuilder: (_request, context) =>
        Object.assign(new Error(context.after), { statusCode: context.statusCode, code: 'TANDEM_ERR_TOO_MANY_ATTEMPTS' }),
    });
    scope.post<{ Body: { password: string } }>(
      '/api/login',
      { schema: loginSchema, config: { rateLimit: { max: options.maxAttempts, timeWindow: options.windowSec * 1000 } } },
      async (request, reply) => {
        const unknown = Object.keys(request.body).find((key) => key !== 'password');
        if (unknown !== undefined)
          return sendError(
            reply,
            httpError('TANDEM_ERR_BAD_BODY', `unknown field ${JSON.stringify(unknown.slice(0, 40))}: send {"password": "..."}`),
          );
        if (!matchesAny(digest(request.body.password), expected)) return sendError(reply, httpError('TANDEM_ERR_BAD_PASSWORD'));
        const token = app.jwt.sign({ scope: GRANTED }, { expiresIn: `${options.tokenTtlSec}s` });
        reply.header('cache-control', 'no-store');
        return { access_token: token, token_type: 'Bearer', expires_in: options.tokenTtlSec };
      },
    );
  });
}
