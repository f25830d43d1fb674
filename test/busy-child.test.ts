// A child that is busy is not a hung child: under constant load of slow queries the answerer must
// keep its heartbeat, or the supervisor kills it and fails over for nothing (found in the
// benchmark: 1,024-dim searches at 16 connections, heartbeats silent for 2.4 s).

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import t from 'tap';
import { generateProfiles } from '../builder/generate.js';
import { mulberry32 } from '../builder/random.js';
import type { TraceRecord } from '../trace/trace-record.js';
import { startLoad } from './helpers/load.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const DIMS = 1024;
// Under the full-scan threshold: every query scans all rows, about a millisecond each here.
const COUNT = 4000;

async function writeWideProfiles(file: string): Promise<void> {
  const out = createWriteStream(file);
  const rng = mulberry32(3);
  for (const profile of generateProfiles({ count: COUNT, seed: 3 })) {
    const vector = Array.from({ length: DIMS }, () => Math.round(rng() * 1e4) / 1e4);
    if (!out.write(`${JSON.stringify({ ...profile, vector })}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

t.test('an answerer under constant slow-query load keeps its heartbeat and is not restarted', async (t) => {
  const fx = await startFixture(t, {
    writeSource: writeWideProfiles,
    dims: DIMS,
    // A tight watchdog, so the test needs only a few seconds of load to tell.
    system: { heartbeatMs: 50, heartbeatTimeoutMs: 500 },
  });
  await waitFor('first version served', async () => (await fx.status()).servingVersion);
  const load = startLoad(fx.system.url, fx.ids, 32);
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const report = await load.stop();
  t.ok(report.ok > 100, `load ran (${report.ok} answered)`);
  t.same(report.failures.slice(0, 5), [], 'every request answered');
  const trace = await fx.get<TraceRecord[]>('/trace?limit=5000');
  // A fetching child may lapse inside a long native load; that is traced and tolerated by design.
  const lost = trace.body.filter((r) => r.event === 'HEARTBEAT_LOST' && !r.from?.startsWith('fetching'));
  t.same(lost, [], 'no serving child lost its heartbeat');
  t.same(
    (await fx.status()).slots.map((slot) => slot.restarts),
    [0, 0],
    'no child was restarted',
  );
});
