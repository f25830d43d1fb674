// A child leaves when its supervisor has been silent for orphanMs of the child's own running time:
// a stall of the child itself (a long native load, starved at low priority) does not count.
import t from 'tap';
import { OrphanWatch } from '../roles/orphan-watch.js';

const TICK = 100;
const ORPHAN = 5_000;

/** Ticks every TICK ms from `from` to `to`; the first silence reported, or null. */
function tickThrough(watch: OrphanWatch, from: number, to: number): number | null {
  for (let now = from; now <= to; now += TICK) {
    const silent = watch.tick(now);
    if (silent !== null) return silent;
  }
  return null;
}

t.test('a supervisor that keeps talking is never taken for gone', async (t) => {
  const watch = new OrphanWatch(TICK, ORPHAN, 0);
  for (let now = TICK; now <= 60_000; now += TICK) {
    if (now % 500 === 0) watch.heard(now);
    if (watch.tick(now) !== null) return t.fail(`reported silent at ${now}`);
  }
  t.pass('60 s of heartbeats every 500 ms: never silent');
});

t.test('a silent supervisor is noticed after orphanMs of running time', async (t) => {
  const watch = new OrphanWatch(TICK, ORPHAN, 0);
  const silent = tickThrough(watch, TICK, 20_000);
  t.ok(silent !== null && silent > ORPHAN && silent <= ORPHAN + TICK, `reported once over ${ORPHAN} ms (${silent})`);
});

t.test("the child stalled for longer than orphanMs: its own stall is not the supervisor's silence", async (t) => {
  const watch = new OrphanWatch(TICK, ORPHAN, 0);
  watch.heard(1_000);
  t.equal(tickThrough(watch, TICK, 1_000), null, 'running, hearing the supervisor');
  // Not scheduled for 8 s: the next tick comes late, the heartbeats sent meanwhile not read yet.
  t.equal(watch.tick(9_000), null, 'the late tick after the stall: not silent');
  t.equal(tickThrough(watch, 9_100, 9_500), null, 'nor while the queued heartbeats are being read');
  let reported: number | null = null;
  for (let now = 9_600; now <= 20_000 && reported === null; now += TICK) {
    if (now % 500 === 0) watch.heard(now);
    reported = watch.tick(now);
  }
  t.equal(reported, null, 'and heard again from there: never silent');
});

t.test('a stall does not hide a supervisor that really went silent', async (t) => {
  const watch = new OrphanWatch(TICK, ORPHAN, 0);
  watch.heard(1_000);
  tickThrough(watch, TICK, 1_000);
  watch.tick(9_000);
  const silent = tickThrough(watch, 9_100, 30_000);
  t.ok(silent !== null, `noticed after the stall too (${silent} ms of running time)`);
});
