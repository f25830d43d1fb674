// /docs is Swagger UI served from the package: the page and every asset it links answer locally,
// and nothing in it points at another host.
import pino from 'pino';
import t from 'tap';
import { buildApi } from '../api/server.js';
import { QuerySeconds } from '../inspect/query-seconds.js';

t.test('GET /docs: HTML whose scripts and styles answer 200 from this server, no external URL', async (t) => {
  const supervisor = {
    ready: false,
    status: () => ({ state: 'booting' }) as never,
    query: () => undefined,
    querySeconds: new QuerySeconds(),
  };
  const app = buildApi({ supervisor, tracer: { recent: () => [], subscribe: () => () => {} }, log: pino({ level: 'silent' }) });
  t.teardown(() => app.close());
  const page = await app.inject({ method: 'GET', url: '/docs' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.notMatch(page.body, /(src|href)="(https?:)?\/\//, 'no asset from another host');
  const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1]!, 'http://x/docs/').pathname);
  t.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `scripts and styles linked (${assets.join(', ')})`);
  for (const asset of assets) t.equal((await app.inject({ method: 'GET', url: asset })).statusCode, 200, `${asset} answers`);
  const json = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(json.statusCode, 200, 'the document Swagger UI reads');
  t.equal(json.json().openapi, (await app.inject({ method: 'GET', url: '/openapi.json' })).json().openapi);
  const post = await app.inject({ method: 'POST', url: '/openapi.json' });
  t.match(post.json(), { statusCode: 405, code: 'TANDEM_ERR_METHOD_NOT_ALLOWED' });
});
