// Schema of POST /api/login: the password for a bearer token with the read and write scopes.
import { errorResponses, type RouteSchema } from './common.js';

export const loginSchema: RouteSchema = {
  summary: 'Log in',
  description:
    'The password (TANDEM_LOGIN_PASSWORD) for a signed JWT with the scopes read and write, sent as ' +
    '`Authorization: Bearer <access_token>`. Attempts are rate-limited per client address (429 with Retry-After). ' +
    'Without TANDEM_LOGIN_PASSWORD the route answers 404 TANDEM_ERR_LOGIN_DISABLED.',
  tags: ['auth'],
  body: {
    type: 'object',
    required: ['password'],
    properties: { password: { type: 'string', minLength: 1, maxLength: 1024 } },
    examples: [{ password: 'correct horse battery staple' }],
  },
  response: {
    200: {
      type: 'object',
      required: ['access_token', 'token_type', 'expires_in'],
      properties: {
        access_token: { type: 'string', description: 'A JWT (HS256) whose `scope` claim is ["read", "write"].' },
        token_type: { type: 'string', enum: ['Bearer'] },
        expires_in: { type: 'integer', description: 'Seconds until the token expires (TANDEM_TOKEN_TTL_S).' },
      },
    },
    ...errorResponses(400, 401, 404, 413, 415, 429),
  },
};
