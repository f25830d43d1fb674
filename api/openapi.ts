// The OpenAPI 3 document, built by @fastify/swagger from the routes' own schemas, and Swagger UI
// at /docs with its assets served from the package (no CDN: the docs work offline).
import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { apiErrorSchema, type RouteSchema } from './schemas/common.js';
import { profileWrittenSchema } from './schemas/profiles.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

/** Shows a route's `documented` parts in place of the validated ones (see RouteSchema). */
function documentedSchema(schema: RouteSchema | undefined): object | undefined {
  if (!schema?.documented) return schema;
  const { documented, ...rest } = schema;
  return { ...rest, ...documented };
}

/** Registers the shared schemas, the document and the docs page; call before any route. */
export function registerOpenApi(app: FastifyInstance): void {
  app.addSchema(apiErrorSchema);
  app.addSchema(profileWrittenSchema);
  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'tandem',
        version,
        description: 'Nearest-neighbour recommendations, served without downtime while profiles change and index versions swap.',
      },
      tags: [
        { name: 'queries', description: 'Recommendations by profile id or by vector' },
        { name: 'profiles', description: 'The write API (needs a bearer token) and reading a profile' },
        { name: 'observe', description: 'Health, readiness, status, trace' },
        { name: 'auth', description: 'Login for a bearer token (read and write scopes)' },
        { name: 'docs', description: 'This document' },
      ],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    // Components keep their $id as name (ApiError), not def-0.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: ({ schema, url }) => ({ schema: documentedSchema(schema as RouteSchema | undefined) as never, url }),
  });
  app.register(swaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: true });
  app.register(async (docs) => {
    docs.get(
      OPENAPI_PATH,
      {
        schema: {
          summary: 'This OpenAPI document',
          description: 'The same document Swagger UI at /docs reads (also at /docs/json).',
          tags: ['docs'],
          response: { 200: { type: 'object', additionalProperties: true, properties: { openapi: { type: 'string' } } } },
        },
      },
      async () => app.swagger(),
    );
  });
}
