// Under Linux autogroup scheduling a thread's niceness only ranks it inside its session, so a
// child lowers its whole session (it leads one of its own) while it fetches and sets it back
// before it answers. A process that does not lead its session never touches the shared autogroup.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { autogroupNicenessOf } from './helpers/niceness.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const NICENESS_MODULE = fileURLToPath(new URL('../common/niceness.js', import.meta.url));

if (!existsSync('/proc/self/autogroup')) {
  t.pass('this kernel has no autogroup scheduling (CONFIG_SCHED_AUTOGROUP): nothing to lower');
} else {
  /**
   * Runs atSessionNiceness(13) around no work in a fresh process and reports its session's
   * niceness before, during and after, and how long it took; `as` runs it under another uid.
   */
  async function probe(
    detached: boolean,
    as: string[] = [],
  ): Promise<{ leads: boolean; before: number; during: number; after: number; ms: number }> {
    const script = `
      const m = await import(${JSON.stringify(NICENESS_MODULE)});
      const before = m.sessionNiceness();
      const started = Date.now();
      let during = null;
      await m.atSessionNiceness(13, async () => { during = m.sessionNiceness(); }, () => {});
      console.log(JSON.stringify({ leads: m.leadsOwnSession(), before, during, after: m.sessionNiceness(), ms: Date.now() - started }));`;
    const argv = [...as, process.execPath, '--input-type=module', '-e', script];
    const child = spawn(argv[0]!, argv.slice(1), { detached, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code] = await once(child, 'exit');
    clearTimeout(timer);
    if (code !== 0) throw new Error(`probe exited with ${code}`);
    return JSON.parse(out);
  }

  t.test('a session leader runs the work at the lower priority and is set back after it', async (t) => {
    t.match(await probe(true), { leads: true, before: 0, during: 13, after: 0 });
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
  const nobodyCanRun =
    process.getuid?.() === 0 &&
    spawnSync(asNobody[0]!, [...asNobody.slice(1), process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(NICENESS_MODULE)})`])
      .status === 0;
  t.test(
    'an unprivileged session leader is set back too, once the kernel allows it',
    { skip: nobodyCanRun ? false : 'needs root, setpriv and a build readable by nobody' },
    async (t) => {
      const seen = await probe(true, asNobody);
      t.match(seen, { leads: true, before: 0, during: 13, after: 0 });
      t.ok(seen.ms >= 90, `setting it back waited out the kernel limit (${seen.ms} ms)`);
    },
  );

  t.test('a process in a shared session leaves the session alone', async (t) => {
    const ours = autogroupNicenessOf(process.pid);
    const seen = await probe(false);
    t.equal(seen.leads, false);
    t.equal(seen.during, seen.before, 'not lowered: the session is not its own');
    t.equal(autogroupNicenessOf(process.pid), ours, "this test's own session is unchanged");
  });

  t.test('a running system: the fetching child is at the lower priority, the answerer never', async (t) => {
    // Paced to 250 KB/s, the first fetch of this 0.5 MB version takes about 2 s: long enough to be seen.
    const fx = await startFixture(t, { count: 400, system: { fetchPolicy: { niceness: 13, verifyBytesPerSecond: 250_000 } } });
    const seen = new Map<number, Set<number>>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const slot of fx.system.supervisor.status().slots) {
          if (slot.pid === null) continue;
          const niceness = autogroupNicenessOf(slot.pid);
          if (niceness === null) continue;
          // Status first: a child sets its session back before it reports FETCHED, so one the
          // supervisor already calls the answerer must be back at 0 when /proc is read after.
          const key = slot.role === 'answer' ? -slot.pid : slot.pid;
          if (!seen.has(key)) seen.set(key, new Set());
          seen.get(key)!.add(niceness);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const standby = await waitFor(
      'a version served by one child and loaded by the other',
      async () => {
        const s = await fx.status();
        return s.state === 'serving' && s.servingVersion !== null && s.slots.every((slot) => slot.version === s.servingVersion) ? s : null;
      },
      60_000,
    );
    watching = false;
    await watcher;
    const fetching = [...seen].filter(([key]) => key > 0).flatMap(([, values]) => [...values]);
    const answering = [...seen].filter(([key]) => key < 0).flatMap(([, values]) => [...values]);
    t.ok(fetching.includes(13), `a fetching child was seen at niceness 13 (seen: ${fetching.join(', ')})`);
    t.same([...new Set(answering)], [0], 'an answering child was only ever seen at niceness 0');
    for (const slot of standby.slots) t.equal(autogroupNicenessOf(slot.pid!), 0, `slot ${slot.slot} is back at 0 once its fetch is done`);
  });
}
