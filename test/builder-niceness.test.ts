// The builder is background work on the cores that answer queries: it lowers its own priority
// (--niceness, default 10) before it builds, publishes or deletes anything.
import { existsSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { autogroupNicenessOf, nicenessOf } from './helpers/niceness.js';
import { PROGRAMS } from './helpers/paths.js';
import { finished, spawnNode } from './helpers/spawn.js';
import { waitFor } from './helpers/wait.js';

/** A builder in watch mode on a source that does not exist yet: it waits, so it can be looked at. */
function startWaitingBuilder(t: Test, extraArgs: string[], detached = false) {
  const dir = t.testdir();
  return spawnNode(t, PROGRAMS.builder, ['--watch', '--source', path.join(dir, 'absent.jsonl'), '--data', dir, ...extraArgs], { detached });
}

for (const [args, want] of [
  [[], 10],
  [['--niceness', '7'], 7],
] as const) {
  t.test(`builder ${args.join(' ') || 'without --niceness'} runs at niceness ${want}`, async (t) => {
    const builder = await startWaitingBuilder(t, [...args]);
    await waitFor('the builder to watch its source', () => builder.stdout().includes('watching source'), 15_000);
    t.equal(nicenessOf(builder.pid), want);
    builder.child.kill('SIGTERM');
    const { code } = await waitFor('the builder to stop on SIGTERM', builder.exited, 10_000);
    t.equal(code, 0, 'stops cleanly on SIGTERM');
  });
}

// Under autogroup scheduling a niceness counts only inside a session (common/niceness.ts), so a
// builder started in a session of its own (scripts/multi.sh uses setsid) lowers the session too.
t.test(
  'a builder leading its own session lowers the session as well',
  { skip: existsSync('/proc/self/autogroup') ? false : 'no autogroup scheduling in this kernel' },
  async (t) => {
    const builder = await startWaitingBuilder(t, ['--niceness', '12'], true);
    await waitFor('the builder to watch its source', () => builder.stdout().includes('watching source'), 15_000);
    t.equal(nicenessOf(builder.pid), 12);
    t.equal(autogroupNicenessOf(builder.pid), 12);
  },
);

t.test('a niceness outside 0-19 is refused with a clear message', async (t) => {
  const { code, stderr } = await finished(await spawnNode(t, PROGRAMS.builder, ['--source', 'x.jsonl', '--niceness', '25']));
  t.equal(code, 1);
  t.match(stderr, /--niceness.*expected an integer 0-19/);
});
