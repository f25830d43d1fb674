// Per-second query aggregates for the /inspect chart: counts, errors and p50/p99 per second
// (exact up to the reservoir's size, close beyond it), idle seconds present, memory bounded.
import t from 'tap';
import { QuerySeconds } from '../inspect/query-seconds.js';

const T0 = 1_800_000_000_000;

t.test('each finished second: count, errors, p50, p99, max; idle seconds as zeros; a clock stepping back counts now', async (t) => {
  const seconds = new QuerySeconds();
  for (let ms = 1; ms <= 100; ms++) seconds.record(ms, ms % 10 !== 0, T0 + 5 * ms);
  t.same(seconds.finished(T0 + 999), [], 'the current second is not finished');
  seconds.record(7, true, T0 + 3000);
  seconds.record(9, true, T0 + 2500);
  t.same(seconds.finished(T0 + 4000), [
    { t: T0 / 1000, count: 100, errors: 10, p50: 50, p99: 99, max: 100 },
    { t: T0 / 1000 + 1, count: 0, errors: 0, p50: null, p99: null, max: null },
    { t: T0 / 1000 + 2, count: 0, errors: 0, p50: null, p99: null, max: null },
    { t: T0 / 1000 + 3, count: 2, errors: 0, p50: 7, p99: 9, max: 9 },
  ]);
  t.same(
    seconds.finished(T0 + 4000, T0 / 1000 + 2).map((s) => s.t),
    [T0 / 1000 + 3],
    'only seconds after the one asked',
  );
});

t.test('beyond the reservoir the percentiles are sampled, and memory stays bounded', async (t) => {
  let seed = 1;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const seconds = new QuerySeconds({ reservoirSize: 256, keepSeconds: 5, random });
  // 20,000 queries in one second, latency uniform over 0..100 ms: p50 near 50, p99 near 99.
  for (let i = 0; i < 20_000; i++) seconds.record(((i * 7919) % 10_000) / 100, true, T0 + (i % 1000));
  const [second] = seconds.finished(T0 + 1000);
  t.equal(second?.count, 20_000);
  t.ok(Math.abs((second?.p50 ?? 0) - 50) < 8, `p50 ${second?.p50} near 50`);
  t.ok((second?.p99 ?? 0) > 94, `p99 ${second?.p99} near 99`);
  t.equal(second?.max, 99.99);
  t.equal(seconds.finished(T0 + 3_600_000).length, 5, 'an hour idle keeps only the last keepSeconds');
});
