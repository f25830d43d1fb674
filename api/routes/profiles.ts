// The write API: profiles in the store, one at a time or as an NDJSON stream. Every write answers
// with the change sequence it got; a write the store could not make is a 503, never a silent loss.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ProfileRejectedError } from '../../profiles/errors.js';
import { ID_REGEXP } from '../../profiles/schema.js';
import { StoreUnavailableError } from '../../store/errors.js';
import type { ProfileStore } from '../../store/profile-store.js';
import { type ApiError, httpError } from '../errors.js';
import { sendError } from '../reply-error.js';
import { bulkProfilesSchema, deleteProfileSchema, getProfileSchema, putProfileSchema } from '../schemas/profiles.js';
import { bulkWrite } from './profiles-bulk.js';

/** What a store failure means to a client; anything else is a bug and goes to the error handler. */
export function storeFailure(err: unknown): { error: ApiError; problems?: unknown } | null {
  if (err instanceof ProfileRejectedError) {
    const first = err.problems[0];
    return { error: httpError(first?.code ?? 'TANDEM_ERR_INVALID_PROFILE', err.message), problems: err.problems };
  }
  if (err instanceof StoreUnavailableError) return { error: httpError('TANDEM_ERR_STORE_UNAVAILABLE', err.message) };
  return null;
}

function sendStoreFailure(reply: FastifyReply, err: unknown): FastifyReply {
  const failure = storeFailure(err);
  if (!failure) throw err;
  return sendError(reply, failure.error, failure.problems ? { problems: failure.problems } : {});
}

export function profileRoutes(app: FastifyInstance, store: ProfileStore): void {
  // The guard is api/auth.ts's, chosen by scope; a profile is personal data, so reading it is a read.
  const writer = { config: { scope: 'write' } } as const;
  const reader = { config: { scope: 'read' } } as const;

  // The body is checked by the store's own validator (profiles/validate.ts), which reports every
  // problem with our codes and keeps unknown fields; a route schema would strip or recode them.
  app.put<{ Params: { id: string }; Body: unknown }>('/profiles/:id', { ...writer, schema: putProfileSchema }, (request, reply) => {
    const { id } = request.params;
    if (!ID_REGEXP.test(id)) return sendError(reply, httpError('TANDEM_ERR_BAD_ID'));
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendError(reply, httpError('TANDEM_ERR_BAD_PROFILE', 'the body must be a JSON object: the profile'));
    }
    const given = (body as { _id?: unknown })._id;
    if (given !== undefined && given !== id) {
      return sendError(reply, httpError('TANDEM_ERR_BAD_ID', `_id in the body (${JSON.stringify(given)}) differs from the URL's (${id})`));
    }
    try {
      const { seq, created } = store.put({ ...(body as object), _id: id } as Parameters<ProfileStore['put']>[0]);
      return reply.code(created ? 201 : 200).send({ _id: id, seq, created });
    } catch (err) {
      return sendStoreFailure(reply, err);
    }
  });

  app.get<{ Params: { id: string } }>('/profiles/:id', { ...reader, schema: getProfileSchema }, (request, reply) => {
    const { id } = request.params;
    if (!ID_REGEXP.test(id)) return sendError(reply, httpError('TANDEM_ERR_BAD_ID'));
    try {
      const profile = store.get(id);
      if (!profile) return sendError(reply, httpError('TANDEM_ERR_UNKNOWN_ID', `no profile with _id ${JSON.stringify(id)}`));
      return reply.send(profile);
    } catch (err) {
      return sendStoreFailure(reply, err);
    }
  });

  app.delete<{ Params: { id: string } }>('/profiles/:id', { ...writer, schema: deleteProfileSchema }, (request, reply) => {
    const { id } = request.params;
    if (!ID_REGEXP.test(id)) return sendError(reply, httpError('TANDEM_ERR_BAD_ID'));
    try {
      const deleted = store.delete(id);
      if (!deleted) return sendError(reply, httpError('TANDEM_ERR_UNKNOWN_ID', `no profile with _id ${JSON.stringify(id)}`));
      return reply.code(204).header('tandem-seq', String(deleted.seq)).send();
    } catch (err) {
      return sendStoreFailure(reply, err);
    }
  });

  // NDJSON arrives as a stream: memory is bounded by one chunk of records, not by the upload.
  app.addContentTypeParser('application/x-ndjson', (_request, payload, done) => done(null, payload));
  app.post<{ Body: NodeJS.ReadableStream }>('/profiles/bulk', { ...writer, schema: bulkProfilesSchema }, async (request, reply) => {
    if (!request.headers['content-type']?.startsWith('application/x-ndjson')) {
      return sendError(reply, httpError('TANDEM_ERR_UNSUPPORTED_MEDIA_TYPE', request.headers['content-type']));
    }
    return reply.type('application/x-ndjson').send(bulkWrite(store, request.body));
  });
}
