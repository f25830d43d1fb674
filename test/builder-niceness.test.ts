// The builder is background work on the cores that answer queries: it lowers its own priority
// (--niceness, default 10) before it builds, publishes or deletes anything.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { isAlive } from './helpers/main-process.js';
import { autogroupNicenessOf, nicenessOf } from './helpers/niceness.js';
import { waitFor } from './helpers/wait.js';

const builderMain = path.resolve(import.meta.dirname, '..', 'builder', 'main.js');

/** A builder in watch mode on a source that does not exist yet: it waits, so it can be looked at. */
function startWaitingBuilder(t: Test, extraArgs: string[], detached = false) {
  const dir = t.testdir();
  const child = spawn(process.execPath, [builderMain, '--watch', '--source', path.join(dir, 'absent.jsonl'), '--data', dir, ...extraArgs], {
    detached,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  t.teardown(() => {
    if (child.pid !== undefined && isAlive(child.pid)) child.kill('SIGKILL');
  });
  return { child, output: () => out };
}

for (const [args, want] of [
  [[], 10],
  [['--niceness', '7'], 7],
] as const) {
  t.test(`builder ${args.join(' ') || 'without --niceness'} runs at niceness ${want}`, async (t) => {
    const { child, output } = startWaitingBuilder(t, [...args]);
    await waitFor('the builder to watch its source', () => output().includes('watching source'), 15_000);
    t.equal(nicenessOf(child.pid!), want);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('builder did not stop within 10 s')), 10_000).unref()),
    ]);
    t.equal(code, 0, 'stops cleanly on SIGTERM');
  });
}

// Under autogroup scheduling a niceness counts only inside a session (common/niceness.ts), so a
// builder started in a session of its own (scripts/multi.sh uses setsid) lowers the session too.
t.test(
  'a builder leading its own session lowers the session as well',
  { skip: existsSync('/proc/self/autogroup') ? false : 'no autogroup scheduling in this kernel' },
  async (t) => {
    const { child, output } = startWaitingBuilder(t, ['--niceness', '12'], true);
    await waitFor('the builder to watch its source', () => output().includes('watching source'), 15_000);
    t.equal(nicenessOf(child.pid!), 12);
    t.equal(autogroupNicenessOf(child.pid!), 12);
  },
);

t.test('a niceness outside 0-19 is refused with a clear message', async (t) => {
  const child = spawn(process.execPath, [builderMain, '--source', 'x.jsonl', '--niceness', '25'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const [code] = await once(child, 'exit');
  t.equal(code, 1);
  t.match(err, /--niceness.*expected an integer 0-19/);
});
