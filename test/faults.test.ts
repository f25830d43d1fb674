// Fault injection on the real system: kill, hang and corrupt things under load, and check that no
// request is lost where a healthy child with an index exists, and that the service recovers.
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { buildIndex } from '../builder/build.js';
import { INDEX_FILE, MANIFEST_FILE } from '../index-version/format.js';
import type { TraceRecord } from '../trace/trace-record.js';
import { startLoad } from './helpers/load.js';
import { PROGRAMS } from './helpers/paths.js';
import { spawnNode } from './helpers/spawn.js';
import { type Fixture, startFixture } from './helpers/system-fixture.js';
import { tally } from './helpers/tally.js';
import { waitFor } from './helpers/wait.js';

// Fault handling is under test here, not priority (session-priority.test.ts has that): fetches run
// at normal priority, or a runner loaded by the test beside this one starves them past every wait.
const NORMAL_PRIORITY_FETCH = { niceness: 0, lowerSession: false };

const fastDetection = {
  heartbeatMs: 100,
  heartbeatTimeoutMs: 800,
  slotTimeouts: { backoffBaseMs: 100, backoffMaxMs: 400 },
  fetchPolicy: NORMAL_PRIORITY_FETCH,
};

async function standbyReady(fx: Fixture, timeoutMs = 20_000) {
  return waitFor(
    'both children hold the served version',
    async () => {
      const s = await fx.status();
      const loaded = s.slots.filter((slot) => slot.version === s.servingVersion && s.servingVersion !== null);
      return loaded.length === 2 && s.state === 'serving' ? s : null;
    },
    timeoutMs,
  );
}

t.test('answer child SIGKILLed under load: zero failed requests, child restarted', async (t) => {
  const fx = await startFixture(t, { count: 300, system: fastDetection });
  const before = await standbyReady(fx);
  const victim = before.slots.find((s) => s.role === 'answer')!;
  const load = startLoad(fx.system.url, fx.ids);
  await waitFor('load running', () => load.report.sent > 100);
  const retriedBefore = (await fx.status()).queries.retried;
  // Stopped first, so that queries are surely in flight on it when it dies (heartbeat loss takes 800 ms).
  process.kill(victim.pid!, 'SIGSTOP');
  await waitFor('queries in flight on the stopped child', async () => (await fx.status()).queries.inFlight > 0, 5_000);
  process.kill(victim.pid!, 'SIGKILL');
  const after = await waitFor('the other child answers', async () => {
    const s = await fx.status();
    return s.answerer !== null && s.answerer !== victim.slot ? s : null;
  });
  await waitFor('more load after the failover', () => load.report.sent > 400);
  await waitFor('the killed child is back with the index', async () => {
    const s = await fx.status();
    return s.slots[victim.slot]!.pid !== victim.pid && s.slots[victim.slot]!.version === s.servingVersion ? s : null;
  });
  const report = await load.stop();
  t.same(report.failures, [], `no request failed (${report.sent} sent, max ${report.maxLatencyMs.toFixed(0)} ms)`);
  const final = await fx.status();
  t.ok(final.slots[victim.slot]!.restarts >= 1, 'restart counted');
  t.ok(
    final.queries.retried > retriedBefore,
    `the queries in flight on the dead child were retried (${final.queries.retried - retriedBefore})`,
  );
  t.not(after.answerer, victim.slot);
});

t.test('hung answer child (SIGSTOP): detected by heartbeat, killed, queries routed around', async (t) => {
  const fx = await startFixture(t, { count: 300, system: fastDetection });
  const before = await standbyReady(fx);
  const victim = before.slots.find((s) => s.role === 'answer')!;
  const load = startLoad(fx.system.url, fx.ids);
  await waitFor('load running', () => load.report.sent > 100);
  process.kill(victim.pid!, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(victim.pid!, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  });
  await waitFor('the hung child is replaced', async () => {
    const s = await fx.status();
    return s.answerer !== victim.slot && s.answerer !== null && s.slots[victim.slot]!.pid !== victim.pid ? s : null;
  });
  const okAtReplacement = load.report.ok;
  await waitFor('300 more answers after the replacement', () => load.report.ok > okAtReplacement + 300);
  const report = await load.stop();
  t.same(report.failures, [], `no request failed (${report.sent} sent, max ${report.maxLatencyMs.toFixed(0)} ms)`);
  const trace = (await fx.get<TraceRecord[]>('/trace?limit=5000')).body;
  t.ok(
    trace.some((r) => r.actor === `slot-${victim.slot}` && r.event === 'HEARTBEAT_LOST' && r.to === 'crashed'),
    'heartbeat loss traced',
  );
});

t.test('fetch child SIGKILLed mid-fetch under load: no request fails, the new version is served after', async (t) => {
  // A slow checksum pass (300 kB/s over about a megabyte) keeps the fetch under way long enough to be hit.
  const fx = await startFixture(t, {
    count: 1000,
    system: { ...fastDetection, fetchPolicy: { ...NORMAL_PRIORITY_FETCH, verifyBytesPerSecond: 300_000 } },
  });
  await standbyReady(fx, 60_000);
  const load = startLoad(fx.system.url, fx.ids);
  await waitFor('load running', () => load.report.sent > 100);
  const next = await fx.publish();
  const fetching = await waitFor('the spare fetching the new version', async () => {
    const s = await fx.status();
    const spare = s.slots.find((slot) => slot.role === 'fetch' && slot.state === 'fetching.loading');
    return spare ? spare : null;
  });
  process.kill(fetching.pid!, 'SIGKILL');
  await fx.waitServing(next.version);
  const report = await load.stop();
  t.same(report.failures, [], `no request failed (${report.sent} sent, max ${report.maxLatencyMs.toFixed(0)} ms)`);
  const status = await fx.status();
  t.ok(status.slots[fetching.slot]!.restarts >= 1, 'the killed fetcher was restarted');
  t.same(status.quarantined, [], 'and the version it was loading was not blamed for it');
});

t.test('builder SIGKILLed again and again under a running service: never a partial version seen, no request fails', async (t) => {
  const fx = await startFixture(t, { count: 2000, system: fastDetection });
  await standbyReady(fx);
  const load = startLoad(fx.system.url, fx.ids);
  for (let kill = 0; kill < 6; kill++) {
    const builder = await spawnNode(t, PROGRAMS.builder, ['--source', fx.source, '--data', fx.dataDir, '--threads', '1']);
    // Anywhere from the start of its build to after its publish.
    await new Promise((resolve) => setTimeout(resolve, 150 + kill * 120));
    builder.child.kill('SIGKILL');
    await builder.exited;
  }
  const last = await fx.publish();
  await fx.waitServing(last.version);
  const report = await load.stop();
  t.same(report.failures, [], `no request failed (${report.sent} sent)`);
  t.same((await fx.status()).quarantined, [], 'no version was ever quarantined: nothing partial was visible');
});

t.test('both children down: 503 with Retry-After, then recovery on its own', async (t) => {
  // Restarts held back 3 s, so the moment with no child at all is long enough to be asked.
  const fx = await startFixture(t, {
    count: 120,
    system: { ...fastDetection, slotTimeouts: { backoffBaseMs: 3000, backoffMaxMs: 3000 } },
  });
  const before = await standbyReady(fx);
  for (const slot of before.slots) process.kill(slot.pid!, 'SIGKILL');
  await waitFor('both children seen dead', async () => {
    const s = await fx.status();
    return s.state === 'degraded' && s.slots.every((slot) => slot.state === 'backoff') ? s : null;
  });
  const asked = Date.now();
  const during = await fx.get(`/recommend/${fx.ids[0]}/3`);
  t.equal(during.status, 503, 'nobody can answer within the hold (both restart 3 s later): 503');
  t.equal(during.headers.get('retry-after'), '1', 'with Retry-After');
  t.ok(Date.now() - asked < 2500, 'after the bounded wait, not the query deadline');
  await waitFor('serving again', async () => (await fx.get(`/recommend/${fx.ids[0]}/3`)).status === 200);
  const status = await fx.status();
  t.ok(
    status.slots.every((s) => s.restarts >= 1),
    'both restarted',
  );
});

function corruptions(): [string, (dir: string) => void, RegExp][] {
  return [
    ['truncated index file', (dir) => truncateSync(path.join(dir, INDEX_FILE), 100), /CHECKSUM_MISMATCH/],
    [
      'flipped bytes (wrong checksum)',
      (dir) => {
        // Same size, one byte different: only the checksum can tell.
        const file = path.join(dir, INDEX_FILE);
        const bytes = readFileSync(file);
        const middle = bytes.length >> 1;
        bytes[middle] = bytes[middle]! ^ 0xff;
        writeFileSync(file, bytes);
      },
      /CHECKSUM_MISMATCH/,
    ],
    ['missing manifest', (dir) => rmSync(path.join(dir, MANIFEST_FILE)), /MANIFEST_MISSING/],
    [
      'wrong dimensions in the manifest',
      (dir) => {
        const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8'));
        manifest.dims = 64;
        writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
      },
      /WRONG_DIMENSIONS/,
    ],
  ];
}

t.test('bad index versions are quarantined; the current version keeps serving', async (t) => {
  const fx = await startFixture(t, { count: 120, system: { ...fastDetection, standby: false } });
  const first = await waitFor('served', async () => (await fx.status()).servingVersion);
  for (const [name, corrupt, code] of corruptions()) {
    // Publish, then corrupt before the fetcher reads it: a builder that published garbage.
    const load = startLoad(fx.system.url, fx.ids, 2);
    const manifest = await fx.publishDamaged(corrupt);
    const status = await waitFor(`${name} quarantined`, async () => {
      const s = await fx.status();
      return s.quarantined.includes(manifest.version) ? s : null;
    });
    const report = await load.stop();
    t.equal(status.servingVersion, first, `${name}: the old version still serves`);
    t.same(report.failures, [], `${name}: no request failed`);
    const trace = (await fx.get<TraceRecord[]>('/trace?limit=5000')).body;
    t.ok(
      trace.some((r) => r.event === 'FETCH_FAILED' && code.test(r.detail ?? '')),
      `${name}: failure traced with its code`,
    );
  }
  // A good version after all that is served normally.
  const good = await fx.publish();
  await fx.waitServing(good.version);
  t.pass('a good version is served after the bad ones');
});

t.test('a consistent version of other dimensions is refused (WRONG_DIMENSIONS) and quarantined; the current one serves', async (t) => {
  // With a store the service takes vectors of --dims (128): a 64-dim version, complete and
  // well-formed, would answer nothing the write API accepts.
  const fx = await startFixture(t, { count: 120, writeTokens: ['t'], system: { ...fastDetection, standby: false } });
  const first = await waitFor('served', async () => (await fx.status()).servingVersion);
  const source = path.join(fx.dir, 'dims-64.jsonl');
  writeFileSync(
    source,
    Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ _id: `d${i}`, name: 'D', surname: 'S', vector: Array.from({ length: 64 }, (_, d) => ((i * 7 + d) % 11) - 5) }),
    ).join('\n'),
  );
  const other = await buildIndex({ source, dataDir: fx.dataDir, dims: 64, logger: pino({ level: 'silent' }), threads: 1 });
  const status = await waitFor('the 64-dim version quarantined', async () => {
    const s = await fx.status();
    return s.quarantined.includes(other.version) ? s : null;
  });
  t.equal(status.servingVersion, first, 'the 128-dim version still serves');
  const trace = (await fx.get<TraceRecord[]>('/trace?limit=5000')).body;
  t.ok(
    trace.some((r) => r.event === 'FETCH_FAILED' && /WRONG_DIMENSIONS/.test(r.detail ?? '')),
    'refused with WRONG_DIMENSIONS',
  );
});

t.test('overload: beyond the in-flight bound, a fast 503; valid requests answered after', async (t) => {
  const fx = await startFixture(t, { count: 200, system: { maxInFlight: 4, fetchPolicy: NORMAL_PRIORITY_FETCH } });
  await waitFor('served', async () => (await fx.status()).servingVersion);
  const statuses = await Promise.all(
    Array.from({ length: 300 }, async (_, i) => {
      const response = await fetch(`${fx.system.url}/recommend/${fx.ids[i % fx.ids.length]}/10`, { signal: AbortSignal.timeout(10_000) });
      const body = (await response.json()) as { code?: string };
      return response.status === 503 ? `503 ${body.code} retry-after=${response.headers.get('retry-after')}` : String(response.status);
    }),
  );
  const counts = tally(statuses);
  t.same(
    Object.keys(counts).filter((s) => s !== '200' && s !== '503 TANDEM_ERR_OVERLOADED retry-after=1'),
    [],
    `only 200 or a shed 503 (${JSON.stringify(counts)})`,
  );
  t.ok((counts['200'] ?? 0) > 0, 'some answered');
  const shed = counts['503 TANDEM_ERR_OVERLOADED retry-after=1'] ?? 0;
  t.ok(shed > 0, `300 at once against a bound of 4: some shed (${shed})`);
  t.equal((await fx.status()).queries.shed, shed, 'every shed request counted in /status');
  t.equal((await fx.get(`/recommend/${fx.ids[0]}/3`)).status, 200, 'answers again once the burst is over');
});

t.test('a query the answer child never answers times out with 504, not a hang', async (t) => {
  const fx = await startFixture(t, {
    count: 100,
    system: { queryTimeoutMs: 300, heartbeatMs: 100, heartbeatTimeoutMs: 60_000, standby: false, fetchPolicy: NORMAL_PRIORITY_FETCH },
  });
  const status = await waitFor('served', async () => {
    const s = await fx.status();
    return s.servingVersion ? s : null;
  });
  const answerer = status.slots.find((s) => s.role === 'answer')!;
  // Stopped but not yet declared dead (heartbeat timeout is long here): queries must still end.
  process.kill(answerer.pid!, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(answerer.pid!, 'SIGCONT');
    } catch {
      // gone
    }
  });
  const started = Date.now();
  const response = await fx.get(`/recommend/${fx.ids[0]}/3`);
  t.equal(response.status, 504);
  t.match(response.body, { code: 'TANDEM_ERR_QUERY_TIMEOUT' });
  t.ok(Date.now() - started < 5_000, 'bounded by the query timeout');
  process.kill(answerer.pid!, 'SIGCONT');
});

t.test('LATEST damaged at start: the newest good version on disk is served instead', async (t) => {
  let good = '';
  let bad = '';
  const fx = await startFixture(t, {
    count: 100,
    publish: false,
    system: { fetchPolicy: NORMAL_PRIORITY_FETCH },
    beforeStart: async ({ publish, publishDamaged }) => {
      good = (await publish()).version;
      bad = (await publishDamaged((dir) => truncateSync(path.join(dir, INDEX_FILE), 10))).version;
    },
  });
  const status = await fx.waitServing(good);
  t.equal(status.latestVersion, bad, 'LATEST names the damaged one');
  t.ok(status.quarantined.includes(bad), 'which is quarantined');
  t.equal((await fx.get(`/recommend/${fx.ids[0]}/3`)).status, 200);
});
