// The page's timeline, read from trace records (inspect/page/timeline.mjs runs in the browser and
// here alike): swaps, first serves, fetches and drains with their durations (failed ones marked,
// unfinished ones open), crashes, restarts, quarantines and degraded spells, each with its records.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { TraceRecord } from '../trace/trace-record.js';
import { REPO_ROOT } from './helpers/paths.js';

interface TimelineItem {
  kind: string;
  lane: string;
  start: number;
  end: number | null;
  open: boolean;
  failed: boolean;
  label: string;
  records: TraceRecord[];
}
const { deriveTimeline } = (await import(pathToFileURL(path.join(REPO_ROOT, 'inspect', 'page', 'timeline.mjs')).href)) as {
  deriveTimeline: (records: TraceRecord[]) => TimelineItem[];
};

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
let clock = 0;
/** A record 100 ms after the previous one. */
function at(actor: string, event: string, from: string | null, to: string, extra: Partial<TraceRecord> = {}): TraceRecord {
  clock += 100;
  return { ts: new Date(T0 + clock).toISOString(), actor, event, from, to, ...extra };
}

t.test('a boot, a swap, a failed fetch, a crash and restart, a quarantine, degraded, a fetch still running', async (t) => {
  clock = 0;
  const records = [
    at('slot-0', 'CMD_FETCH', 'idle', 'fetching.awaitingAck', { version: 'v1' }),
    at('slot-0', 'ACK', 'fetching.awaitingAck', 'fetching.loading'),
    at('slot-0', 'FETCHED', 'fetching.loading', 'standby', { version: 'v1' }),
    at('supervisor', 'SLOT_ANSWERING', 'promoting', 'serving', { slot: 0, version: 'v1' }),
    at('slot-1', 'CMD_FETCH', 'idle', 'fetching.awaitingAck', { version: 'v2' }),
    at('slot-1', 'FETCHED', 'fetching.loading', 'standby', { version: 'v2' }),
    at('supervisor', 'SLOT_ANSWERING', 'promoting', 'draining', { slot: 1, version: 'v2' }),
    at('slot-0', 'CMD_DRAIN', 'answering.serving', 'draining.awaitingAck'),
    at('slot-0', 'DRAINED', 'draining.awaitingDrained', 'idle'),
    at('slot-0', 'CMD_FETCH', 'idle', 'fetching.awaitingAck', { version: 'v3' }),
    at('slot-0', 'FETCH_FAILED', 'fetching.loading', 'idle', { detail: 'code=CHECKSUM_MISMATCH' }),
    at('versions', 'QUARANTINED', 'seen', 'quarantined', { version: 'v3' }),
    at('slot-1', 'EXITED', 'answering.serving', 'crashed', { detail: 'code=null' }),
    at('supervisor', 'SLOT_CRASHED', 'serving', 'degraded', { slot: 1 }),
    at('slot-1', 'timeout:backoff', 'backoff', 'spawning'),
    at('slot-0', 'CMD_FETCH', 'idle', 'fetching.awaitingAck', { version: 'v2' }),
  ];
  const items = deriveTimeline(records);
  t.same(
    items.map(({ kind, lane, failed, open }) => ({ kind, lane, failed, open })),
    [
      { kind: 'fetch', lane: 'slot-0', failed: false, open: false },
      { kind: 'serve', lane: 'supervisor', failed: false, open: false },
      { kind: 'fetch', lane: 'slot-1', failed: false, open: false },
      { kind: 'swap', lane: 'supervisor', failed: false, open: false },
      { kind: 'drain', lane: 'slot-0', failed: false, open: false },
      { kind: 'fetch', lane: 'slot-0', failed: true, open: false },
      { kind: 'quarantine', lane: 'supervisor', failed: false, open: false },
      { kind: 'crash', lane: 'slot-1', failed: false, open: false },
      { kind: 'degraded', lane: 'supervisor', failed: false, open: false },
      { kind: 'restart', lane: 'slot-1', failed: false, open: false },
      { kind: 'fetch', lane: 'slot-0', failed: false, open: true },
    ],
  );
  const [firstFetch] = items;
  t.equal(firstFetch!.end! - firstFetch!.start, 200, 'a fetch lasts from its command to FETCHED');
  t.match(firstFetch!.label, /fetch v1 done in 0\.20 s/);
  t.same(
    firstFetch!.records.map((record) => record.event),
    ['CMD_FETCH', 'FETCHED'],
    'its first and last records',
  );
  t.match(items.find((item) => item.kind === 'swap')!.label, /swap to slot 1 \(v2\)/);
  t.match(items.find((item) => item.failed)!.label, /fetch v3 failed in/);
  t.match(items.find((item) => item.kind === 'crash')!.label, /crash: EXITED code=null/);
  t.equal(items.at(-1)!.end, null, 'a fetch still running has no end yet');
});
