// The simpler designs tandem is compared with, as one small server process:
//   --kind held   the same search in-process (HeldIndex, the code the answer child runs), no supervisor, no ZeroMQ
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

type Search = (id: string, n: number) => Buffer | null;
let search: Search;
if (kind === 'bare') {
  // A real answer for the first profile, sent for every request.
  const sample = held.recommend(held.rows.fields(0).id, 10);
  const body = sample.ok ? sample.body : Buffer.from('[]');
  held.close();
  search = () => body;
} else if (kind === 'exact') {
  const bytes = readFileSync(path.join(dir, VECTORS_FILE));
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const dims = held.dims;
  const metric = held.manifest.params.metric;
  search = (id, n) => {
    const row = held.rowOf(id);
    if (row === undefined) return null;
    // A copy: the binding reads a view from its buffer's start (index-version/engine.ts).
    const query = all.slice(row * dims, (row + 1) * dims);
    return held.encode(exactNearest(all, query, dims, n + 1, metric), n, row);
  };
} else {
  search = (id, n) => {
    const result = held.recommend(id, n);
    return result.ok ? result.body : null;
  };
}

const app = Fastify({ logger: false, routerOptions: { maxParamLength: 512 }, return503OnClosing: true });
app.get<{ Params: { id: string; n: string } }>('/recommend/:id/:n', (request, reply) => {
  const { id, n } = request.params;
  if (!ID_PATTERN.test(id) || !N_PATTERN.test(n) || Number(n) < 1 || Number(n) > 100) return reply.code(400).send({ code: 'BAD_REQUEST' });
  const body = search(id, Number(n));
  if (body === null) return reply.code(404).send({ code: 'UNKNOWN_ID' });
  return reply.type('application/json; charset=utf-8').send(body);
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
