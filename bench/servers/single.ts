// The simpler designs tandem is compared with, as one small server process:
//   --kind held   the same search in-process (HeldIndex, the code the answer child runs), no supervisor, no ZeroMQ;
//                 the queries of one event-loop turn searched as one batch, as tandem's answer child gets them
//   --kind exact  exact brute-force cosine search in-process over all vectors (what a naive service does)
//   --kind bare   a constant body of the same size (Fastify's ceiling on this machine)
// It serves the version LATEST names when it starts, so under PM2 a reload picks up a new version.
// PM2 cluster mode: it tells PM2 it is ready once listening (wait_ready) and closes gracefully on SIGINT.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { exactNearest } from '../../index-version/engine.js';
import { readLatest, VECTORS_FILE, versionDir } from '../../index-version/format.js';
import { HeldIndex } from '../../roles/held-index.js';
import type { NearestRequest } from '../../roles/nearest-request.js';
import { PageEncoder } from '../../roles/page-encoder.js';
import { SUPERVISOR_DEFAULTS } from '../../supervisor/options.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    port: { type: 'string', default: '0' },
    mode: { type: 'string', default: 'view' },
    kind: { type: 'string', default: 'held' },
  },
});
const dataDir = path.resolve(values.data ?? 'data');
const kind = values.kind as 'held' | 'exact' | 'bare';
const mode = values.mode === 'load' ? 'load' : 'view';
const version = await readLatest(dataDir);
if (version === null) throw new Error(`no LATEST in ${dataDir}`);
const dir = versionDir(dataDir, version);
const held = await HeldIndex.open(dir, mode, version);

const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const N_PATTERN = /^[0-9]+$/;

/** A result body, or why there is none. */
type Outcome = { ok: true; body: Buffer } | { ok: false; status: 404 | 500; code: 'UNKNOWN_ID' | 'INTERNAL' };
type Search = (id: string, n: number, answer: (outcome: Outcome) => void) => void;
const UNKNOWN: Outcome = { ok: false, status: 404, code: 'UNKNOWN_ID' };

let search: Search;
if (kind === 'bare') {
  // A real answer for the first profile, sent for every request.
  const sample = held.recommend(held.rows.fields(0).id, 10);
  const body = sample.ok ? sample.body : Buffer.from('[]');
  held.close();
  search = (_id, _n, answer) => answer({ ok: true, body });
} else if (kind === 'exact') {
  const bytes = readFileSync(path.join(dir, VECTORS_FILE));
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const dims = held.dims;
  const metric = held.manifest.params.metric;
  const pages = new PageEncoder(held.rows);
  search = (id, n, answer) => {
    const row = held.rowOf(id);
    if (row === undefined) return answer(UNKNOWN);
    // A copy: the binding reads a view from its buffer's start (index-version/engine.ts).
    const query = all.slice(row * dims, (row + 1) * dims);
    answer({ ok: true, body: pages.encode(exactNearest(all, query, dims, n + 1, metric), n, row) });
  };
} else {
  search = batchedSearch(held, SUPERVISOR_DEFAULTS.maxBatch);
}

/**
 * Queries that arrive in one turn of the event loop, searched together by the answer child's own
 * batch search (HeldIndex.nearestMany) at the end of the turn, or at once when `maxBatch` are
 * waiting: the batches tandem's query router sends its child, without the hop.
 */
function batchedSearch(index: HeldIndex, maxBatch: number): Search {
  let waiting: { request: NearestRequest; answer: (outcome: Outcome) => void }[] = [];
  let endOfTurnScheduled = false;
  const searchWaiting = (): void => {
    const batch = waiting;
    waiting = [];
    if (batch.length === 0) return;
    let bodies: Buffer[];
    try {
      bodies = index.nearestMany(batch.map((w) => w.request)).map((result) => result.body);
    } catch {
      for (const w of batch) w.answer({ ok: false, status: 500, code: 'INTERNAL' });
      return;
    }
    for (const [i, w] of batch.entries()) w.answer({ ok: true, body: bodies[i]! });
  };
  return (id, n, answer) => {
    const request = index.recommendRequest(id, n);
    if ('code' in request) return answer(UNKNOWN);
    waiting.push({ request, answer });
    if (waiting.length >= maxBatch) searchWaiting();
    else if (!endOfTurnScheduled) {
      endOfTurnScheduled = true;
      setImmediate(() => {
        endOfTurnScheduled = false;
        searchWaiting();
      });
    }
  };
}

const app = Fastify({ logger: false, routerOptions: { maxParamLength: 512 }, return503OnClosing: true });
app.get<{ Params: { id: string; n: string } }>('/recommend/:id/:n', (request, reply) => {
  const { id, n } = request.params;
  if (!ID_PATTERN.test(id) || !N_PATTERN.test(n) || Number(n) < 1 || Number(n) > 100) return reply.code(400).send({ code: 'BAD_REQUEST' });
  search(id, Number(n), (outcome) => {
    if (outcome.ok) reply.type('application/json; charset=utf-8').send(outcome.body);
    else reply.code(outcome.status).send({ code: outcome.code });
  });
  return reply;
});
app.get('/ready', async () => ({ ready: true, version, kind, pid: process.pid }));

await app.listen({ port: Number(values.port), host: '127.0.0.1' });
process.send?.('ready');

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
