// Property test: requests generated from the OpenAPI document (its parameters, bodies and
// examples) and from junk (wrong types, huge numbers, unicode, empty, no content-type), against
// the in-process API over a real system. None may hang or crash it; none gets a 5xx but the
// documented 503/504; every error is JSON with a code from the error table.
import fc from 'fast-check';
import t from 'tap';
import { HTTP_ERRORS } from '../api/errors.js';
import { startInProcessApi, WRITE_TOKEN } from './helpers/api-in-process.js';

interface Parameter {
  in: string;
  name: string;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, unknown>;
}

const NUM_RUNS = 200;
const SEED = 14;
const CODES = new Set(Object.keys(HTTP_ERRORS));

const examples = (p: { example?: unknown; examples?: Record<string, { value: unknown }> }) =>
  p.examples ? Object.values(p.examples).map((e) => e.value) : p.example !== undefined ? [p.example] : [];

const junkText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', '0', '-1', '2.5', '1e2', '0x10', '9'.repeat(400), 'NaN', 'null', 'a'.repeat(129), 'a'.repeat(600)),
  fc.integer().map(String),
  fc.double().map(String),
);
/** A path segment: encoded, or raw URL junk (bad percent-encoding, dots). */
const segment = (known: unknown[]) =>
  fc.oneof(
    { weight: 2, arbitrary: known.length ? fc.constantFrom(...known.map(String)) : junkText },
    { weight: 3, arbitrary: junkText.map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '..', '.', '%00', '%2F') },
  );

const jsonJunk = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.constantFrom('', '{', '[1,2', '{"vector":[1e999],"n":3}', '{"vector":[0,0],"n":3}', '{"n":1e999}', `{"n":${'9'.repeat(400)}}`),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);
/** An example body with one field replaced by anything JSON. */
const mutated = (example: unknown) =>
  example && typeof example === 'object' && !Array.isArray(example)
    ? fc
        .tuple(fc.constantFrom(...Object.keys(example), 'extra'), fc.jsonValue())
        .map(([key, value]) => JSON.stringify({ ...example, [key]: value }))
    : fc.constant(typeof example === 'string' ? example : JSON.stringify(example));

function requestArbitrary(path: string, method: string, operation: Operation) {
  const parameters = operation.parameters ?? [];
  const pathParts = parameters.filter((p) => p.in === 'path').map((p) => segment(examples(p)).map((value) => [p.name, value] as const));
  const query = parameters
    .filter((p) => p.in === 'query')
    .map((p) => fc.option(fc.oneof(fc.constantFrom(...examples(p).map(String), '1'), junkText)).map((value) => [p.name, value] as const));
  const bodyExamples = Object.values(operation.requestBody?.content ?? {}).flatMap(examples);
  const body = fc.option(
    fc.oneof(
      jsonJunk,
      ...bodyExamples.map(mutated),
      ...bodyExamples.map((b) => fc.constant(typeof b === 'string' ? b : JSON.stringify(b))),
    ),
  );
  const contentType = fc.option(
    fc.constantFrom('application/json', 'text/plain', 'application/x-ndjson', 'application/json; charset=latin1', 'x/y'),
  );
  const auth = fc.option(fc.constantFrom(`Bearer ${WRITE_TOKEN}`, 'Bearer nope', 'Basic abc', ''));
  return fc.record({ path: fc.tuple(...pathParts), query: fc.tuple(...query), body, contentType, auth }).map((r) => {
    let url = path;
    for (const [name, value] of r.path) url = url.replace(`{${name}}`, value);
    const search = r.query.filter(([, v]) => v !== null).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
    return {
      method: method.toUpperCase() as 'GET',
      url: search.length ? `${url}?${search.join('&')}` : url,
      headers: { ...(r.contentType ? { 'content-type': r.contentType } : {}), ...(r.auth !== null ? { authorization: r.auth } : {}) },
      ...(r.body !== null && method !== 'get' ? { payload: r.body } : {}),
    };
  });
}

t.test('generated requests: no hang, no unexpected 5xx, every error JSON with a known code', async (t) => {
  const { app } = await startInProcessApi(t, 100);
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> };
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const failures: string[] = [];
      const statuses = new Map<number, number>();
      await fc
        .assert(
          fc.asyncProperty(requestArbitrary(path, method, operation), async (request) => {
            const reply = await Promise.race([
              app.inject(request),
              new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 10 s')), 10_000).unref()),
            ]);
            const status = reply.statusCode;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            const what = `${JSON.stringify(request).slice(0, 300)} ${request.method} ${request.url.slice(0, 120)} -> ${status} ${reply.body.slice(0, 600)}`;
            if (status >= 500 && !((status === 503 || status === 504) && operation.responses[String(status)])) failures.push(what);
            if (status >= 400) {
              const body = JSON.parse(reply.body) as { code?: string; statusCode?: number };
              if (!CODES.has(body.code ?? '') || body.statusCode !== status) failures.push(`not a table error: ${what}`);
              if (!/^application\/json/.test(String(reply.headers['content-type']))) failures.push(`not JSON: ${what}`);
            }
            return failures.length === 0;
          }),
          { numRuns: NUM_RUNS, seed: SEED },
        )
        .catch((err: Error) => failures.push(err.message.split('\n').slice(0, 6).join(' | ')));
      const seen = JSON.stringify(Object.fromEntries(statuses));
      t.same(failures, [], `${method.toUpperCase()} ${path}: ${NUM_RUNS} generated requests (statuses ${seen})`);
    }
  }
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200, 'still serving');
});
