// A paced read never gets ahead of its rate, and does not wait when it is behind.
import t from 'tap';
import { Pace } from '../roles/fetch/pace.js';

function fakeClock() {
  const clock = { now: 0, waits: [] as number[] };
  const wait = async (ms: number) => {
    clock.waits.push(ms);
    clock.now += ms;
  };
  return { clock, pace: (rate: number) => new Pace(rate, () => clock.now, wait) };
}

t.test('chunks read at once wait for the rate', async (t) => {
  const { clock, pace } = fakeClock();
  const p = pace(1_000_000); // 1 MB/s
  await p.consumed(250_000);
  await p.consumed(250_000);
  t.same(clock.waits, [250, 250], 'a quarter of a second per quarter megabyte');
  t.equal(clock.now, 500);
});

t.test('a reader slower than the rate never waits', async (t) => {
  const { clock, pace } = fakeClock();
  const p = pace(1_000_000);
  clock.now += 400; // the read itself took 400 ms
  await p.consumed(250_000);
  t.same(clock.waits, [], 'behind the rate: no wait');
  await p.consumed(500_000);
  t.same(clock.waits, [350], 'ahead again: waits only for the difference (750 ms due, 400 spent)');
});

t.test('a rate must be positive', async (t) => {
  t.throws(() => new Pace(0), RangeError);
  t.throws(() => new Pace(Number.NaN), RangeError);
});
