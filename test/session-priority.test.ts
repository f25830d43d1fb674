// Under Linux autogroup scheduling a thread's niceness only ranks it inside its session, so a
// child lowers its whole session (it leads one of its own) while it fetches and sets it back
// before it answers. A process that does not lead its session never touches the shared autogroup.
import { existsSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { autogroupNicenessOf } from './helpers/niceness.js';
import { distPath, FIXTURES } from './helpers/paths.js';
import { finished, spawnNode, spawnProcess } from './helpers/spawn.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const PROBE = path.join(FIXTURES, 'session-niceness-probe.mjs');

if (!existsSync('/proc/self/autogroup')) {
  t.test(
    'session niceness',
    { skip: 'this kernel has no autogroup scheduling (CONFIG_SCHED_AUTOGROUP): nothing to lower, nothing tested' },
    () => {},
  );
} else {
  /**
   * Runs atSessionNiceness(13) around no work in a fresh process (a session leader if `detached`)
   * and reports its session's niceness before, during and after, and how long it took; `as` runs it under another uid.
   */
  async function probe(
    t: Test,
    detached: boolean,
    as: string[] = [],
  ): Promise<{ leads: boolean; before: number; during: number; after: number; ms: number }> {
    const run = await finished(await spawnNode(t, PROBE, ['13'], { detached, as }), 10_000);
    if (run.code !== 0) throw new Error(`probe exited with ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout);
  }

  t.test('a session leader runs the work at the lower priority and is set back after it', async (t) => {
    t.match(await probe(t, true), { leads: true, before: 0, during: 13, after: 0 });
  });

  // Without CAP_SYS_ADMIN the kernel takes one autogroup change per 100 ms machine-wide: setting
  // the session back right after lowering it is refused (EAGAIN) and must be retried.
  // `env -i`: tap adds its process-recording hook to every child's environment, and that hook
  // cannot write its records as another uid.
  const asNobody = [
    'setpriv',
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    'env',
    '-i',
    `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`,
  ];
  // `node --check` reads a file without running it: can nobody run node on the probe and the module it imports?
  const nobodyCanRead = async (file: string) =>
    (await finished(await spawnProcess(t, process.execPath, ['--check', file], { as: asNobody }))).code === 0;
  // Any failure to find out (setpriv missing, a spawn refused) only means the check cannot run here.
  const nobodyCanRun =
    process.getuid?.() === 0 &&
    (await nobodyCanRead(PROBE).catch(() => false)) &&
    (await nobodyCanRead(distPath('common/niceness')).catch(() => false));
  t.test(
    'an unprivileged session leader is set back too, once the kernel allows it',
    { skip: nobodyCanRun ? false : 'needs root, setpriv and a build readable by nobody' },
    async (t) => {
      const seen = await probe(t, true, asNobody);
      t.match(seen, { leads: true, before: 0, during: 13, after: 0 });
      t.ok(seen.ms >= 90, `setting it back waited out the kernel limit (${seen.ms} ms)`);
    },
  );

  t.test('a process in a shared session leaves the session alone', async (t) => {
    const ours = autogroupNicenessOf(process.pid);
    const seen = await probe(t, false);
    t.equal(seen.leads, false);
    t.equal(seen.during, seen.before, 'not lowered: the session is not its own');
    t.equal(autogroupNicenessOf(process.pid), ours, "this test's own session is unchanged");
  });

  t.test('a running system: the fetching child is at the lower priority, the answerer never', async (t) => {
    // Paced to 250 KB/s, the first fetch of this 0.5 MB version takes about 2 s: long enough to be seen.
    const fx = await startFixture(t, { count: 400, system: { fetchPolicy: { niceness: 13, verifyBytesPerSecond: 250_000 } } });
    const seen = new Map<number, Set<number>>();
    // Every 10 ms until both children hold the served version, each child's session niceness is sampled.
    const standby = await waitFor(
      'a version served by one child and loaded by the other',
      () => {
        const s = fx.system.supervisor.status();
        for (const slot of s.slots) {
          if (slot.pid === null) continue;
          const niceness = autogroupNicenessOf(slot.pid);
          if (niceness === null) continue;
          // Status first: a child sets its session back before it reports FETCHED, so one the
          // supervisor already calls the answerer must be back at 0 when /proc is read after.
          const key = slot.role === 'answer' ? -slot.pid : slot.pid;
          if (!seen.has(key)) seen.set(key, new Set());
          seen.get(key)!.add(niceness);
        }
        return s.state === 'serving' && s.servingVersion !== null && s.slots.every((slot) => slot.version === s.servingVersion) ? s : null;
      },
      60_000,
      10,
    );
    const fetching = [...seen].filter(([key]) => key > 0).flatMap(([, values]) => [...values]);
    const answering = [...seen].filter(([key]) => key < 0).flatMap(([, values]) => [...values]);
    t.ok(fetching.includes(13), `a fetching child was seen at niceness 13 (seen: ${fetching.join(', ')})`);
    t.same([...new Set(answering)], [0], 'an answering child was only ever seen at niceness 0');
    for (const slot of standby.slots) t.equal(autogroupNicenessOf(slot.pid!), 0, `slot ${slot.slot} is back at 0 once its fetch is done`);
  });
}
