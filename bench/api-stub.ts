// tandem's HTTP API (api/server.ts, with its metrics and query latency hooks) in front of a stand-in
// supervisor that answers every query at once, in the same tick, with one fixed result of the
// served version: what the main process costs per request without the hop to a child.
//   node dist/bench/api-stub.js --data <dir> --port <port>
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { buildApi } from '../api/server.js';
import { readLatest, versionDir } from '../index-version/format.js';
import { QuerySeconds } from '../inspect/query-seconds.js';
import { ServiceMetrics } from '../observe/metrics.js';
import { QueryLatencyLog } from '../observe/query-latency.js';
import { HeldIndex } from '../roles/held-index.js';
import type { QueryCallback, QuerySpec } from '../supervisor/query-router.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, port: { type: 'string', default: '0' } } });
const dataDir = path.resolve(values.data ?? 'data');
const version = await readLatest(dataDir);
if (version === null) throw new Error(`no LATEST in ${dataDir}`);
const held = await HeldIndex.open(versionDir(dataDir, version), 'view', version);
const request = held.recommendRequest(held.rows.fields(0).id, 10);
if ('code' in request) throw new Error(request.message);
const [{ body, next }] = held.nearestMany([request]) as [{ body: Buffer; next: import('../channel/query-batch.js').PageMark | null }];
held.close();

const querySeconds = new QuerySeconds();
const supervisor = {
  ready: true,
  querySeconds,
  query(_spec: QuerySpec, done: QueryCallback): void {
    querySeconds.record(0.1, true);
    done({ ok: true, body, version, seq: 0, ...(next ? { next } : {}) });
  },
  status: () => ({ servingVersion: version }) as ReturnType<import('../supervisor/supervisor.js').Supervisor['status']>,
};
const metrics = new ServiceMetrics(dataDir, { liveChanges: false });
const queryLatency = new QueryLatencyLog(() => {});
const app = buildApi({
  supervisor,
  tracer: { recent: () => [], subscribe: () => () => {} },
  log: pino({ level: 'warn' }),
  observers: { metrics, queryLatency },
});
await app.listen({ port: Number(values.port), host: '127.0.0.1' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void app.close().then(() => process.exit(0)));
