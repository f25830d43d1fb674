// Writes need a bearer token; reads of recommendations stay open. Tokens are compared as sha256
// digests with timingSafeEqual (constant time whatever their lengths) and never logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { httpError } from './errors.js';
import { sendError } from './reply-error.js';

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** Tokens from TANDEM_WRITE_TOKEN (comma-separated) and the file TANDEM_WRITE_TOKEN_FILE names (one per line). */
export function writeTokensFromEnv(env: NodeJS.ProcessEnv): string[] {
  const tokens = (env.TANDEM_WRITE_TOKEN ?? '').split(',');
  if (env.TANDEM_WRITE_TOKEN_FILE) tokens.push(...readFileSync(env.TANDEM_WRITE_TOKEN_FILE, 'utf8').split('\n'));
  return tokens.map((token) => token.trim()).filter(Boolean);
}

/** A preHandler that lets a request through only with `Authorization: Bearer <one of tokens>`. */
export function requireWriteToken(tokens: readonly string[]) {
  const digests = tokens.map(digest);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) return sendError(reply.header('www-authenticate', 'Bearer'), httpError('TANDEM_ERR_UNAUTHORIZED'));
    const offered = digest(match[1]!);
    // Every digest is compared, so the time taken does not tell which token came close.
    let known = false;
    for (const candidate of digests) known = timingSafeEqual(offered, candidate) || known;
    if (!known) return sendError(reply, httpError('TANDEM_ERR_FORBIDDEN'));
  };
}
