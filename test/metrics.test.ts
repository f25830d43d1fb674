// GET /metrics on a real system: the text parses strictly, request counts move by route pattern
// and status, a swap moves the swap and fetch metrics, a killed child shows as a restart by slot
// and reason, and the children's memory and CPU are read from /proc.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { type Exposition, parsePrometheusText, sampleValue } from './helpers/prometheus-text.js';
import { type Fixture, startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const fastDetection = {
  heartbeatMs: 100,
  heartbeatTimeoutMs: 800,
  slotTimeouts: { backoffBaseMs: 100, backoffMaxMs: 400 },
  standbyDelayMs: 200,
};

async function scrape(fx: Fixture): Promise<Exposition> {
  const response = await fetch(`${fx.system.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  if (!/^text\/plain; version=0\.0\.4/.test(response.headers.get('content-type') ?? '')) throw new Error('not the Prometheus text format');
  return parsePrometheusText(await response.text());
}

const value = (e: Exposition, name: string, labels: Record<string, string> = {}) => sampleValue(e, name, labels) ?? 0;

t.test('/metrics follows requests, a swap and a killed child', async (t) => {
  const fx = await startFixture(t, { count: 300, system: fastDetection, writeTokens: ['metrics-test-token'], fromStore: true });
  await waitFor(
    'both children hold the served version',
    async () => {
      const s = await fx.status();
      return s.state === 'serving' && s.slots.every((slot) => slot.version === s.servingVersion) ? s : null;
    },
    30_000,
  );

  const before = await scrape(fx);
  t.equal(before.types.get('tandem_http_requests_total'), 'counter');
  t.equal(before.types.get('tandem_swap_duration_seconds'), 'histogram');
  t.ok(before.types.has('tandem_process_cpu_user_seconds_total'), 'process metrics, prefixed');
  for (const name of ['queries_shed_total', 'queries_retried_total', 'queries_timed_out_total', 'queries_held_total', 'queries_in_flight'])
    t.ok(sampleValue(before, `tandem_${name}`) !== undefined, `tandem_${name} is there`);
  t.equal(value(before, 'tandem_quarantined_versions'), 0);
  const age = value(before, 'tandem_served_version_age_seconds');
  t.ok(age >= 0 && age < 600, `the served version's age (${age} s)`);
  for (const slot of ['0', '1']) {
    t.ok(value(before, 'tandem_child_resident_memory_bytes', { slot }) > 10_000_000, `slot ${slot}'s resident memory`);
    t.ok(value(before, 'tandem_child_cpu_seconds_total', { slot }) > 0, `slot ${slot}'s CPU time`);
  }
  const lag = await waitFor('the answering child reports its applied seq', async () => {
    const v = sampleValue(await scrape(fx), 'tandem_live_update_lag_changes');
    return v !== undefined && Number.isFinite(v) ? { v } : null;
  });
  t.equal(lag.v, 0, 'no live-update lag with no writes');

  const route = { route: '/recommend/:id/:n', method: 'GET' };
  const ok = { ...route, status: '200' };
  const okBefore = value(before, 'tandem_http_requests_total', ok);
  for (const id of fx.ids.slice(0, 3)) t.equal((await fx.get(`/recommend/${encodeURIComponent(id)}/5`)).status, 200);
  t.equal((await fx.get(`/recommend/${encodeURIComponent(fx.ids[0]!)}/zero`)).status, 400);
  t.equal((await fx.get('/no/such/route-0123456789')).status, 404);
  const counted = await scrape(fx);
  t.equal(value(counted, 'tandem_http_requests_total', ok) - okBefore, 3, 'three 200s on the route pattern');
  t.equal(value(counted, 'tandem_http_requests_total', { ...route, status: '400' }), 1, 'one 400');
  t.equal(value(counted, 'tandem_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }), 1, 'the 404 under one label');
  t.ok(value(counted, 'tandem_http_request_duration_seconds_count', route) >= 4, 'latency observed per route');
  t.notOk(
    counted.samples.some((s) => Object.values(s.labels).some((v) => v.includes(fx.ids[0]!) || v.includes('route-0123456789'))),
    'no raw URL in any label',
  );

  // A swap: a new version published, fetched by the spare, promoted, the old answerer drained.
  const swapsBefore = value(counted, 'tandem_swaps_total');
  const fetchedBefore = value(counted, 'tandem_fetch_duration_seconds_count', { outcome: 'fetched' });
  const manifest = await fx.publish();
  await fx.waitServing(manifest.version);
  const swapped = await waitFor('the swap is in the metrics', async () => {
    const e = await scrape(fx);
    return value(e, 'tandem_swap_duration_seconds_count') >= 1 ? e : null;
  });
  t.equal(value(swapped, 'tandem_swaps_total') - swapsBefore, 1, 'one swap counted');
  t.ok(value(swapped, 'tandem_swap_duration_seconds_sum') > 0, 'the swap took some time');
  t.ok(
    value(swapped, 'tandem_fetch_duration_seconds_count', { outcome: 'fetched' }) > fetchedBefore,
    'the fetch of the new version counted',
  );

  // A crash: the spare child SIGKILLed is restarted; counted under its slot and the reason "exited".
  const status = await fx.status();
  const spare = status.slots.find((slot) => slot.slot !== status.answerer && slot.pid !== null)!;
  process.kill(spare.pid!, 'SIGKILL');
  const crashed = await waitFor('the restart is in the metrics', async () => {
    const e = await scrape(fx);
    return value(e, 'tandem_child_restarts_total', { slot: String(spare.slot), reason: 'exited' }) >= 1 ? e : null;
  });
  t.equal(value(crashed, 'tandem_child_restarts_total', { slot: String(spare.slot), reason: 'exited' }), 1, 'one restart, reason exited');
  t.equal(value(crashed, 'tandem_child_restarts_total', { slot: String(status.answerer), reason: 'exited' }), 0, 'not the other slot');
});

t.test('the query routes write per-second latency records to the trace file', async (t) => {
  const fx = await startFixture(t, { count: 200 });
  await waitFor('first version served', async () => (await fx.status()).servingVersion);
  for (let i = 0; i < 5; i++) t.equal((await fx.get(`/recommend/${encodeURIComponent(fx.ids[i]!)}/3`)).status, 200);
  t.equal((await fx.get('/status')).status, 200);
  const records = await waitFor('a queries record in the trace file', () => {
    fx.system.tracer.flush();
    const lines = readFileSync(fx.system.traceFile, 'utf8').split('\n').filter(Boolean);
    const found = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((r) => r.kind === 'queries');
    return found.reduce((n, r) => n + Number(r.count), 0) >= 5 ? found : null;
  });
  t.same([...new Set(records.map((r) => r.route))], ['GET /recommend/:id/:n'], 'only the query route, by pattern');
  for (const record of records)
    t.ok(Number(record.sumMs) >= 0 && Number(record.maxMs) * Number(record.count) >= Number(record.sumMs) - 1e-6);
});
