// Invariant 1 with real processes: a child that never acks is timed out, traced, killed and
// restarted; the other slot takes the work and the service recovers. Nothing hangs.
import path from 'node:path';
import t from 'tap';
import type { TraceRecord } from '../trace/trace-record.js';
import { FIXTURES, PROGRAMS } from './helpers/paths.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const realChild = PROGRAMS.child;
const neverAcks = path.join(FIXTURES, 'never-acks-child.mjs');

t.test('a child that never acks FETCH is timed out and replaced; the other slot serves', async (t) => {
  let slot0Spawns = 0;
  const fx = await startFixture(t, {
    count: 100,
    system: {
      slotTimeouts: { ackMs: 400, backoffBaseMs: 100, backoffMaxMs: 400 },
      // Slot 0 runs the double every time, so it keeps failing; slot 1 is a real child.
      childScript: (slot) => {
        if (slot === 0) slot0Spawns++;
        return slot === 0 ? neverAcks : realChild;
      },
    },
  });
  const serving = await waitFor('served by the real child', async () => {
    const s = await fx.status();
    return s.servingVersion && s.answerer === 1 ? s : null;
  });
  t.equal(serving.answerer, 1);
  t.equal((await fx.get(`/recommend/${fx.ids[0]}/3`)).status, 200, 'queries answered meanwhile');

  // Whichever child says HELLO first fetches first: if the real one won, the double gets its
  // FETCH only as the standby, so its timeout may still be ahead of us here.
  const timeouts = await waitFor(
    'a traced ack timeout on slot 0',
    async () => {
      const trace = await fx.get<TraceRecord[]>('/trace?limit=5000');
      const found = trace.body.filter((r) => r.actor === 'slot-0' && r.event === 'timeout:ackTimeout' && r.to === 'crashed');
      return found.length >= 1 ? found : null;
    },
    10_000,
  );
  t.ok(timeouts.length >= 1, 'the missing ack is a traced timeout');
  await waitFor('slot 0 restarted', () => slot0Spawns >= 2, 10_000);
  const status = await fx.status();
  t.ok(status.slots[0]!.restarts >= 1, 'restart counted in /status');
  t.match(status.slots[0]!.lastFailure, /not acked in time/);
});
