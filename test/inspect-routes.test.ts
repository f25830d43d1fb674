// The /inspect routes on the API alone (a stand-in supervisor, a real tracer): the page and its
// files answer locally and nothing else is served from disk; the stream starts with a snapshot,
// carries each trace record as it happens, and ends when the server closes instead of holding it.
import pino from 'pino';
import t, { type Test } from 'tap';
import { buildApi } from '../api/server.js';
import { QuerySeconds } from '../inspect/query-seconds.js';
import type { SupervisorStatus } from '../supervisor/supervisor.js';
import { Tracer } from '../trace/tracer.js';
import { waitFor } from './helpers/wait.js';

const STATUS = {
  state: 'serving',
  servingVersion: 'v1',
  latestVersion: 'v1',
  answerer: 0,
  quarantined: [],
  slots: [
    {
      slot: 0,
      pid: 10,
      role: 'answer',
      state: 'answering.serving',
      version: 'v1',
      restarts: 0,
      lastFailure: null,
      liveChanges: null,
      answered: 0,
    },
    { slot: 1, pid: 11, role: 'fetch', state: 'standby', version: 'v1', restarts: 2, lastFailure: 'x', liveChanges: null, answered: 0 },
  ],
  queries: { sent: 0, answered: 0, retried: 0, timedOut: 0, shed: 0, late: 0, held: 0, holdExpired: 0, moved: 0, inFlight: 0 },
  swaps: 3,
} satisfies SupervisorStatus;

function inspectApi(t: Test) {
  const tracer = new Tracer(null, 100);
  const querySeconds = new QuerySeconds();
  const app = buildApi({
    supervisor: { ready: true, status: () => STATUS, query: () => undefined, querySeconds },
    tracer,
    log: pino({ level: 'silent' }),
  });
  t.teardown(() => app.close());
  return { app, tracer, querySeconds };
}

const record = (event: string) => ({ ts: new Date().toISOString(), actor: 'slot-1', event, from: 'standby', to: 'fetching.awaitingAck' });

t.test('the page and its files answer from this server; no other file does', async (t) => {
  const { app } = inspectApi(t);
  const page = await app.inject({ method: 'GET', url: '/inspect' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.notMatch(page.body, /(src|href)="(https?:)?\/\//, 'nothing from another host');
  const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  t.same(assets.sort(), ['/inspect/assets/elk.bundled.js', '/inspect/assets/inspect.css', '/inspect/assets/inspect.mjs']);
  for (const asset of assets) {
    const reply = await app.inject({ method: 'GET', url: asset });
    t.equal(reply.statusCode, 200, `${asset} answers`);
    t.match(reply.headers['content-type'], asset.endsWith('.css') ? /text\/css/ : /text\/javascript/);
  }
  // The modules the page imports, one from another.
  const main = (await app.inject({ method: 'GET', url: '/inspect/assets/inspect.mjs' })).body;
  for (const [, module] of main.matchAll(/from '\.\/([\w-]+\.mjs)'/g)) {
    t.equal((await app.inject({ method: 'GET', url: `/inspect/assets/${module}` })).statusCode, 200, `${module} answers`);
  }
  for (const url of [
    '/inspect/assets/tsconfig.json',
    '/inspect/assets/types.d.ts',
    '/inspect/assets/..%2F..%2Fpackage.json',
    '/inspect/assets/%2Fetc%2Fpasswd',
  ]) {
    t.match((await app.inject({ method: 'GET', url })).json(), { statusCode: 404, code: 'TANDEM_ERR_NO_ROUTE' }, `${url}: 404`);
  }
  t.match((await app.inject({ method: 'POST', url: '/inspect' })).json(), { statusCode: 405, code: 'TANDEM_ERR_METHOD_NOT_ALLOWED' });
  t.match((await app.inject({ method: 'DELETE', url: '/inspect/events' })).json(), { statusCode: 405 });
});

t.test('without Accept: text/event-stream, /inspect/events is the snapshot as JSON', async (t) => {
  const { app, tracer } = inspectApi(t);
  tracer.record(record('CMD_FETCH'));
  const reply = await app.inject({ method: 'GET', url: '/inspect/events' });
  t.equal(reply.statusCode, 200);
  t.match(reply.json(), { now: Number, status: STATUS, trace: [{ event: 'CMD_FETCH' }], seconds: [] });
});

t.test('the stream: a snapshot, then each trace record and a tick each second; closing the server ends it', async (t) => {
  const { app, tracer, querySeconds } = inspectApi(t);
  tracer.record(record('BEFORE'));
  querySeconds.record(1.5, true, Date.now() - 2000);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const response = await fetch(`${url}/inspect/events`, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(20_000) });
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const readUntil = (what: string, pattern: RegExp) =>
    waitFor(
      what,
      (async () => {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) return text;
          text += value;
        }
        return text;
      })(),
      10_000,
    );
  await readUntil('the snapshot', /event: snapshot\ndata: .*\n\n/);
  const snapshot = JSON.parse(/event: snapshot\ndata: (.*)\n/.exec(text)![1]!);
  t.match(snapshot, { status: { swaps: 3 }, trace: [{ event: 'BEFORE' }] });
  t.ok(
    snapshot.seconds.some((second: { count: number }) => second.count === 1),
    'the finished seconds, with the query',
  );
  tracer.record(record('AFTER'));
  await readUntil('the new record', /event: trace\ndata: .*"AFTER".*\n\n/);
  await readUntil('a tick', /event: tick\ndata: .*"swaps":3.*\n\n/);
  t.pass('a record as it happens and a tick with the status');
  const closed = app.close();
  await readUntil('the end of the stream', /$^/);
  await waitFor('the server closed', closed, 5000);
  t.pass('the server closed with a client connected');
});
