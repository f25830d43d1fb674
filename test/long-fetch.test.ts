// A fetch may take longer than a child's orphan timeout (a 1M-profile checksum pass paced on a busy
// machine): the child keeps reading its supervisor's heartbeats meanwhile, so it never takes its
// own fetch for a silent supervisor and leaves.
import t from 'tap';
import { orphanMsFor } from '../channel/defaults.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const HEARTBEAT_TIMEOUT_MS = 500;

t.test('a fetch longer than the orphan timeout: the fetching child stays, and the version is served', async (t) => {
  const orphanMs = orphanMsFor(HEARTBEAT_TIMEOUT_MS);
  // Set once the first version is on disk: its checksum pass then takes 1.5x the orphan timeout.
  const fetchPolicy = { verifyBytesPerSecond: 1 };
  const started = Date.now();
  const fx = await startFixture(t, {
    count: 400,
    publish: false,
    beforeStart: async ({ publish }) => {
      const manifest = await publish();
      const bytes = Object.values(manifest.files).reduce((sum, file) => sum + file.bytes, 0);
      fetchPolicy.verifyBytesPerSecond = Math.ceil(bytes / ((1.5 * orphanMs) / 1000));
    },
    system: { heartbeatMs: 100, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, standby: false, fetchPolicy },
  });
  const serving = await waitFor(
    'the first version served',
    async () => {
      const status = await fx.status();
      return status.state === 'serving' ? status : null;
    },
    6 * orphanMs,
  );
  const tookMs = Date.now() - started;
  t.ok(tookMs > orphanMs, `the fetch outlasted the orphan timeout (${tookMs} ms > ${orphanMs} ms)`);
  t.same(
    serving.slots.map((slot) => slot.restarts),
    [0, 0],
    'no child left or was restarted on the way',
  );
});
