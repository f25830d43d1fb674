// Restart intensity with real processes: a child in a crash loop is held back (restartLimited),
// a healthy child killed from outside again and again is not, whatever the count.
import path from 'node:path';
import t from 'tap';
import { FIXTURES, PROGRAMS } from './helpers/paths.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const fast = { backoffBaseMs: 100, backoffMaxMs: 200, maxRestarts: 5, restartWindowMs: 60_000, limitedRetryMs: 30_000 };

t.test('a child that dies as it starts, again and again, is held back; the other serves', async (t) => {
  const fx = await startFixture(t, {
    count: 100,
    system: { slotTimeouts: fast, childScript: (slot) => (slot === 0 ? path.join(FIXTURES, 'crash-at-start-child.mjs') : PROGRAMS.child) },
  });
  const limited = await waitFor(
    'slot 0 restart-limited',
    async () => {
      const s = await fx.status();
      return s.slots[0]!.state === 'restartLimited' ? s : null;
    },
    30_000,
  );
  t.ok(limited.slots[0]!.restarts >= 6, `held back after ${limited.slots[0]!.restarts} crashes`);
  t.equal((await fx.get(`/recommend/${fx.ids[0]}/3`)).status, 200, 'slot 1 serves');
});

t.test('a healthy child killed 8 times in a row is restarted at the backoff pace every time', async (t) => {
  const fx = await startFixture(t, { count: 100, system: { slotTimeouts: fast } });
  for (let kill = 1; kill <= 8; kill++) {
    const ready = await waitFor(`both children hold the served version (${kill})`, async () => {
      const s = await fx.status();
      return s.state === 'serving' && s.slots.every((slot) => slot.version === s.servingVersion) ? s : null;
    });
    const victim = ready.slots.find((slot) => slot.role === 'answer')!;
    process.kill(victim.pid!, 'SIGKILL');
    await waitFor(`slot ${victim.slot} restarted (${kill})`, async () => {
      const s = await fx.status();
      return s.slots[victim.slot]!.pid !== victim.pid && s.slots[victim.slot]!.pid !== null;
    });
  }
  const after = await fx.status();
  t.notOk(
    after.slots.some((slot) => slot.state === 'restartLimited'),
    `8 kills (more than maxRestarts 5 in the window): never restart-limited (${after.slots.map((s) => s.state).join(', ')})`,
  );
  t.equal(
    after.slots.reduce((sum, slot) => sum + slot.restarts, 0),
    8,
    'every kill restarted',
  );
});
