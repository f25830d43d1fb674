import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { RebuildScheduler } from '../builder/rebuild-scheduler.js';
import { waitFor } from './helpers/wait.js';

/** A build whose end the test decides, so no assertion depends on how fast the machine is. */
function gatedBuilds() {
  const runs: string[] = [];
  const gates: (() => void)[] = [];
  let active = 0;
  let maxActive = 0;
  const run = async (reason: string) => {
    active++;
    maxActive = Math.max(maxActive, active);
    runs.push(reason);
    await new Promise<void>((resolve) => gates.push(resolve));
    active--;
  };
  return {
    runs,
    run,
    maxActive: () => maxActive,
    /** Ends the oldest running build. */
    finishOne: () => gates.shift()?.(),
  };
}

// The scheduler's own timers are a few ms: its waits look every 5 ms and give up after 5 s.

t.test('a burst of requests is debounced into one build', async (t) => {
  const b = gatedBuilds();
  const s = new RebuildScheduler({ debounceMs: 30, run: b.run });
  for (let i = 0; i < 5; i++) s.request(`change ${i}`);
  t.same(b.runs, [], 'nothing before the quiet time');
  await waitFor('the build', () => b.runs.length > 0, 5000, 5);
  await sleep(60);
  t.same(b.runs, ['change 4'], 'one build, for the last request');
  b.finishOne();
  await s.stop();
});

t.test('requests during a build cause exactly one more build, never two at once', async (t) => {
  const b = gatedBuilds();
  const s = new RebuildScheduler({ debounceMs: 0, run: b.run });
  s.request('first');
  t.ok(s.building);
  s.request('a');
  s.request('b');
  s.request('c', true);
  t.same(b.runs, ['first']);
  b.finishOne();
  await waitFor('the follow-up build', () => b.runs.length === 2, 5000, 5);
  t.same(b.runs, ['first', 'c']);
  b.finishOne();
  await waitFor('idle', () => !s.building, 5000, 5);
  t.same(b.runs, ['first', 'c'], 'no third build');
  t.equal(b.maxActive(), 1);
  await s.stop();
});

t.test('a failing build does not wedge the scheduler', async (t) => {
  const runs: string[] = [];
  const s = new RebuildScheduler({
    debounceMs: 0,
    run: async (reason) => {
      runs.push(reason);
      throw new Error('boom');
    },
  });
  s.request('one', true);
  await waitFor('the first build to fail', () => !s.building, 5000, 5);
  s.request('two', true);
  await waitFor('the second build to fail', () => !s.building, 5000, 5);
  t.same(runs, ['one', 'two']);
  await s.stop();
});

t.test('stop() waits for the running build and cancels pending ones', async (t) => {
  const b = gatedBuilds();
  const s = new RebuildScheduler({ debounceMs: 30, run: b.run });
  s.request('now', true);
  s.request('debounced');
  let stopped = false;
  const stopping = s.stop().then(() => (stopped = true));
  await sleep(50);
  t.notOk(stopped, 'still waiting for the running build');
  b.finishOne();
  await stopping;
  s.request('after stop', true);
  await sleep(50);
  t.same(b.runs, ['now'], 'neither the debounced nor a later request ran');
});

t.test('a steady stream of requests still builds once maxDelayMs has passed', async (t) => {
  const b = gatedBuilds();
  // The quiet time never comes (a request every 10 ms, debounce 200 ms): only the bound can fire.
  const s = new RebuildScheduler({ debounceMs: 200, maxDelayMs: 60, run: b.run });
  const stream = setInterval(() => s.request('write'), 10);
  try {
    await waitFor('a build within the stream', () => b.runs.length > 0, 5000, 5);
    t.equal(b.runs[0], 'write');
  } finally {
    clearInterval(stream);
    b.finishOne();
    b.finishOne();
    await s.stop();
  }
});
