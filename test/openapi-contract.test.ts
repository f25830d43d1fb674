// The OpenAPI document is the contract: every route is in it, and every example in it, run
// against a real system with the demo profiles, answers with a documented status and a body
// that its documented schema accepts.
import { Ajv } from 'ajv';
import Fastify from 'fastify';
import t from 'tap';
import { type ApiError, errorPayload, HTTP_ERRORS, type HttpErrorCode, httpError } from '../api/errors.js';
import { DOCS_PREFIX } from '../api/openapi.js';
import { sendError } from '../api/reply-error.js';
import { apiErrorSchema, errorResponses } from '../api/schemas/common.js';
import { startInProcessApi, WRITE_TOKEN } from './helpers/api-in-process.js';

interface Media {
  schema?: object;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Parameter extends Media {
  in: 'path' | 'query' | 'header';
  name: string;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { description: string; content?: Record<string, Media> }>;
  security?: object[];
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

const METHODS = ['put', 'post', 'get', 'delete', 'patch'];
const examplesOf = (media: Media): unknown[] =>
  media.examples ? Object.values(media.examples).map((e) => e.value) : media.example !== undefined ? [media.example] : [];

/** One request per example: the i-th example of every parameter (the last when it has fewer). */
function requestsOf(path: string, operation: Operation) {
  const parameters = operation.parameters ?? [];
  const body = Object.entries(operation.requestBody?.content ?? {})[0];
  const bodies = body ? examplesOf(body[1]) : [];
  const count = Math.max(1, bodies.length, ...parameters.map((p) => examplesOf(p).length));
  return Array.from({ length: count }, (_, i) => {
    let url = path;
    const query = new URLSearchParams();
    for (const parameter of parameters) {
      const values = examplesOf(parameter);
      const value = values[Math.min(i, values.length - 1)];
      if (value === undefined) continue;
      if (parameter.in === 'path') url = url.replace(`{${parameter.name}}`, encodeURIComponent(String(value)));
      if (parameter.in === 'query') query.set(parameter.name, String(value));
    }
    const payload = bodies[Math.min(i, bodies.length - 1)];
    return {
      url: query.size ? `${url}?${query}` : url,
      ...(body && payload !== undefined
        ? { contentType: body[0], payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }
        : {}),
    };
  });
}

t.test('the document lists every route, and each of its examples answers as documented', async (t) => {
  const { app, routes } = await startInProcessApi(t);
  const reply = await app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(reply.statusCode, 200);
  const doc = reply.json() as OpenApi;
  t.match(doc.openapi, /^3\.\d+\.\d+$/, 'OpenAPI 3');
  t.equal(doc.info.title, 'tandem');
  t.same(
    (doc.components.schemas.ApiError as { properties: { code: { enum: string[] } } }).properties.code.enum,
    Object.keys(HTTP_ERRORS),
    'the error codes are the error table',
  );

  const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
  const served = routes
    .filter((route) => !route.url.startsWith(DOCS_PREFIX))
    .flatMap((route) =>
      [route.method]
        .flat()
        .filter((m) => m !== 'HEAD')
        .map((m) => `${m} ${route.url.replace(/:(\w+)/g, '{$1}')}`),
    );
  t.ok(served.length >= 11, `routes found (${served.join(', ')})`);
  for (const route of served) t.ok(documented.has(route), `${route} is in the document`);

  const ajv = new Ajv({ strict: false, allErrors: true });
  const operations = Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.entries(ops).map(([method, operation]) => ({ path, method, operation })))
    .sort((a, b) => METHODS.indexOf(a.method) - METHODS.indexOf(b.method));
  for (const { path, method, operation } of operations) {
    t.ok(Object.keys(operation.responses).length > 0, `${method} ${path} documents its responses`);
    for (const request of requestsOf(path, operation)) {
      const name = `${method.toUpperCase()} ${request.url}`;
      const answer = await app.inject({
        method: method.toUpperCase() as 'GET',
        url: request.url,
        headers: {
          ...(operation.security ? { authorization: `Bearer ${WRITE_TOKEN}` } : {}),
          ...(request.contentType ? { 'content-type': request.contentType } : {}),
        },
        ...(request.payload !== undefined ? { payload: request.payload } : {}),
      });
      const response = operation.responses[String(answer.statusCode)];
      if (!t.ok(response, `${name}: status ${answer.statusCode} is documented (${answer.body.slice(0, 200)})`)) continue;
      if (!response!.content) {
        t.equal(answer.body, '', `${name}: no body, as documented`);
        continue;
      }
      const contentType = String(answer.headers['content-type']).split(';')[0]!;
      const media = response!.content[contentType];
      if (!t.ok(media, `${name}: content-type ${contentType} is documented`)) continue;
      const body = contentType === 'application/json' ? answer.json() : answer.body;
      // Compiled beside the components, so their #/components/schemas/... references resolve.
      const validate = ajv.compile({ ...media!.schema, components: doc.components });
      t.ok(validate(body), `${name}: ${answer.statusCode} body matches its schema ${JSON.stringify(validate.errors ?? [])}`);
    }
  }

  // A refused profile's problems pass through the 400 schema, not dropped by the serializer.
  const refused = await app.inject({
    method: 'PUT',
    url: '/profiles/p1',
    headers: { authorization: `Bearer ${WRITE_TOKEN}` },
    payload: { name: 'Ada', surname: 'Lovelace', age: 12 },
  });
  t.match(refused.json(), { statusCode: 400, code: 'TANDEM_ERR_BAD_AGE', problems: [{ code: 'TANDEM_ERR_BAD_AGE', field: 'age' }] });
});

/** Any code with made-up message arguments: the messages are not what is checked here. */
const sampleError = (code: HttpErrorCode): ApiError =>
  (httpError as (code: HttpErrorCode, ...args: string[]) => ApiError)(code, 'GET', '/x', 'GET');

t.test('every code of the error table is serialized through the error schema unchanged, at its status', async (t) => {
  const statuses = [...new Set(Object.values(HTTP_ERRORS).map((entry) => entry.status))] as Parameters<typeof errorResponses>;
  const app = Fastify();
  app.addSchema(apiErrorSchema);
  app.get<{ Params: { code: HttpErrorCode } }>('/error/:code', { schema: { response: errorResponses(...statuses) } }, (request, reply) =>
    sendError(reply, { ...sampleError(request.params.code) }, { extra: 1 }),
  );
  t.teardown(() => app.close());
  const validate = new Ajv({ strict: false }).compile(apiErrorSchema);
  for (const code of Object.keys(HTTP_ERRORS) as HttpErrorCode[]) {
    const expected = { ...errorPayload(sampleError(code)), extra: 1 };
    const reply = await app.inject({ method: 'GET', url: `/error/${code}` });
    t.equal(reply.statusCode, HTTP_ERRORS[code].status, `${code}: status`);
    t.same(reply.json(), expected, `${code}: every field kept`);
    t.ok(validate(reply.json()), `${code}: matches the error schema`);
  }
});
