// The /inspect page's moving averages are `tandem stats`' own: the same reader and windows, fed the
// trace file's records live. A fetch, a swap and two seconds of queries give their averages; ten
// quiet minutes later the window is empty again.
import t from 'tap';
import { LiveAverages } from '../observe/live-averages.js';
import { MINUTE_MS } from '../trace/moving-average.js';

const at = (ms: number) => new Date(ms).toISOString();

t.test('a fetch, a swap and queries, then a quiet window', async (t) => {
  const start = Date.UTC(2026, 11, 6, 12, 0, 5);
  const live = new LiveAverages(10);
  t.equal(live.latest(start), null, 'nothing before the first value');
  const records = [
    { ts: at(start), actor: 'slot-1', event: 'CMD_FETCH', from: 'idle', to: 'fetching.awaitingAck' },
    { ts: at(start + 1500), actor: 'slot-1', event: 'FETCHED', from: 'fetching.loading', to: 'standby' },
    { ts: at(start + 2000), actor: 'supervisor', event: 'SLOT_FETCHED', from: 'serving', to: 'promoting' },
    { ts: at(start + 2100), actor: 'supervisor', event: 'SLOT_ANSWERING', from: 'promoting', to: 'draining' },
    { ts: at(start + 2300), actor: 'supervisor', event: 'SLOT_DRAINED', from: 'draining', to: 'serving' },
    { kind: 'queries', ts: at(start + 3000), route: '/recommend/:id/:n', count: 10, sumMs: 20, maxMs: 5 },
    { kind: 'queries', ts: at(start + 4000), route: '/recommend/:id/:n', count: 30, sumMs: 30, maxMs: 2 },
  ];
  for (const record of records) live.onRecord(record);
  const now = live.latest(start + 5000)!;
  t.same(now.averages, { query: 50 / 40, fetch: 1500, swap: 300 }, 'averages: query 1.25 ms, fetch 1.5 s, swap 300 ms');
  t.same(now.counts, { query: 40, fetch: 1, swap: 1 }, 'over 40 queries, one fetch, one swap');
  t.equal(now.windowMinutes, 10);
  const later = live.latest(start + 11 * MINUTE_MS)!;
  t.same(later.averages, { query: null, fetch: null, swap: null }, 'eleven quiet minutes later: nothing in the window');
  t.equal(later.minute, Math.floor((start + 11 * MINUTE_MS) / MINUTE_MS) * MINUTE_MS, 'the window ends with the current minute');
});
