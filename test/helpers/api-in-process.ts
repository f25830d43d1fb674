// A second HTTP API over a running test system (real children, demo index, profile store), kept
// in-process for app.inject: the routes it registers are listed, for tests that compare them.
import type { RouteOptions } from 'fastify';
import type { Test } from 'tap';
import { buildApi } from '../../api/server.js';
import { type Fixture, startFixture } from './system-fixture.js';
import { waitFor } from './wait.js';

export const WRITE_TOKEN = 'test-write-token';

export interface InProcessApi {
  fx: Fixture;
  app: ReturnType<typeof buildApi>;
  routes: Pick<RouteOptions, 'method' | 'url' | 'schema'>[];
}

/** Demo profiles of seed 42 in the store, as `make multi` seeds it, so the document's example ids exist. */
export async function startInProcessApi(t: Test, count = 200): Promise<InProcessApi> {
  const fx = await startFixture(t, { count, seed: 42, writeTokens: [WRITE_TOKEN], fromStore: true });
  await waitFor('first version served', async () => (await fx.status()).servingVersion);
  const app = buildApi({
    supervisor: fx.system.supervisor,
    tracer: fx.system.tracer,
    log: fx.log.child({ component: 'api-in-process' }),
    profiles: { store: fx.system.store!, writeTokens: [WRITE_TOKEN] },
    observers: { metrics: fx.system.metrics },
  });
  const routes: InProcessApi['routes'] = [];
  app.addHook('onRoute', (route) => void routes.push({ method: route.method, url: route.url, schema: route.schema }));
  await app.ready();
  t.teardown(() => app.close());
  return { fx, app, routes };
}
