// Claims about children that misbehave, each with a real supervisor and a test double in slot 0
// (slot 1 runs the real child, so the service serves throughout).
import path from 'node:path';
import t from 'tap';
import type { TraceRecord } from '../trace/trace-record.js';
import { FIXTURES, PROGRAMS } from './helpers/paths.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

function withDouble(script: string) {
  return (slot: number) => (slot === 0 ? path.join(FIXTURES, script) : PROGRAMS.child);
}

t.test('a HELLO with the wrong session token is refused: that process never gets a command', async (t) => {
  const fx = await startFixture(t, {
    count: 100,
    system: {
      // A handshake timeout the real child in slot 1 meets even on a loaded 2-core runner (node, zeromq and usearch load first).
      slotTimeouts: { helloMs: 8000, backoffBaseMs: 100, backoffMaxMs: 200 },
      childScript: withDouble('wrong-token-child.mjs'),
    },
  });
  await waitFor('served by the real child', async () => (await fx.status()).answerer === 1, 40_000).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(await fx.status())}`);
  });
  const timedOut = await waitFor('slot 0 timed out in its handshake', async () => {
    const trace = (await fx.get<TraceRecord[]>('/trace?limit=5000')).body;
    return trace.some((r) => r.actor === 'slot-0' && r.event === 'timeout:helloTimeout' && r.to === 'crashed') ? trace : null;
  });
  t.notOk(
    timedOut.some((r) => r.actor === 'slot-0' && r.event === 'HELLO'),
    'its HELLO never reached the slot machine',
  );
  t.notOk(
    timedOut.some((r) => r.actor === 'slot-0' && r.event === 'CMD_FETCH'),
    'and no command was ever given to it',
  );
  t.equal((await fx.get(`/recommend/${fx.ids[0]}/3`)).status, 200, 'the service answers meanwhile');
});

t.test('a load that never ends is ended by the fetch timeout, not by the heartbeat rule, and the service serves on', async (t) => {
  const fx = await startFixture(t, {
    count: 100,
    system: {
      // Heartbeat timeout under the fetch timeout, so silence counted as a hang would end the load
      // first; wide enough that a starved answering child on a loaded runner keeps its heartbeat.
      heartbeatMs: 250,
      heartbeatTimeoutMs: 1500,
      slotTimeouts: { fetchMs: 4000, backoffBaseMs: 100, backoffMaxMs: 200 },
      childScript: withDouble('endless-fetch-child.mjs'),
    },
  });
  await waitFor('served by the real child', async () => (await fx.status()).answerer === 1, 40_000);
  const trace = await waitFor(
    'slot 0 timed out in its load',
    async () => {
      const records = (await fx.get<TraceRecord[]>('/trace?limit=5000')).body;
      return records.some((r) => r.actor === 'slot-0' && r.event === 'timeout:fetchTimeout' && r.to === 'crashed') ? records : null;
    },
    20_000,
  );
  const loading = trace.findIndex((r) => r.actor === 'slot-0' && r.to === 'fetching.loading');
  const ended = trace.findIndex((r) => r.actor === 'slot-0' && r.event === 'timeout:fetchTimeout');
  t.ok(loading >= 0 && loading < ended, 'it was loading when the fetch timeout ended it');
  t.notOk(
    trace.slice(loading, ended).some((r) => r.actor === 'slot-0' && r.event === 'HEARTBEAT_LOST' && r.to === 'crashed'),
    'silence while loading did not count as a hang (its heartbeats stopped at the ACK)',
  );
  t.equal((await fx.get(`/recommend/${fx.ids[0]}/3`)).status, 200, 'the service answers meanwhile');
});
