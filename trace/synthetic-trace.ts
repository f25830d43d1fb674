// A seeded, synthetic trace in the run's file format, for `tandem stats`'s tests and bench/stats.ts:
// per-second `queries` records, fetches and swaps as slot and supervisor transitions, gaps of
// minutes, records out of order within the window and some older than it, malformed lines.
import { intBetween, mulberry32 } from '../builder/random.js';
import type { TraceRecord } from './trace-record.js';

export interface SyntheticTraceOptions {
  /** Lines to write (events and malformed lines together). */
  lines: number;
  seed: number;
  /** The window the out-of-order records are placed within (and beyond, for the too-old ones). */
  windowMinutes: number;
  startMs?: number;
  /** Share of lines that are malformed (0 for none). */
  malformedShare?: number;
}

const transition = (ts: number, fields: Omit<TraceRecord, 'ts'>) =>
  JSON.stringify({ level: 30, ts: new Date(ts).toISOString(), ...fields, kind: 'transition' });

export function* syntheticTrace(options: SyntheticTraceOptions): Generator<string> {
  const rng = mulberry32(options.seed);
  const windowMs = options.windowMinutes * 60_000;
  const malformedShare = options.malformedShare ?? 0;
  let now = options.startMs ?? Date.UTC(2026, 11, 2, 18, 0, 0);
  let written = 0;
  const emit = function* (line: string) {
    if (written < options.lines) {
      written++;
      yield line;
    }
  };
  while (written < options.lines) {
    const roll = rng();
    now += intBetween(rng, 200, 1500);
    if (roll < 0.002) now += intBetween(rng, 2, 3 * options.windowMinutes) * 60_000; // a quiet stretch
    if (rng() < malformedShare) {
      yield* emit(
        rng() < 0.5
          ? '{"ts": "2026-12-02T18:00:00Z", "kind": "queries", "count": 1'
          : JSON.stringify({ kind: 'queries', count: 2, sumMs: 3 }),
      );
      continue;
    }
    if (roll < 0.02) {
      const slot = `slot-${intBetween(rng, 0, 1)}`;
      const loaded = now + intBetween(rng, 50, 20_000);
      yield* emit(transition(now, { actor: slot, event: 'CMD_FETCH', from: 'idle', to: 'fetching.awaitingAck' }));
      yield* emit(transition(now + 2, { actor: slot, event: 'ACK', from: 'fetching.awaitingAck', to: 'fetching.loading' }));
      const failed = rng() < 0.1;
      yield* emit(
        transition(loaded, {
          actor: slot,
          event: failed ? 'FETCH_FAILED' : 'FETCHED',
          from: 'fetching.loading',
          to: failed ? 'idle' : 'standby',
        }),
      );
      now = loaded;
    } else if (roll < 0.03) {
      const drained = now + intBetween(rng, 5, 3_000);
      yield* emit(transition(now, { actor: 'supervisor', event: 'SLOT_FETCHED', from: 'fetching', to: 'promoting' }));
      yield* emit(transition(now + 1, { actor: 'supervisor', event: 'SLOT_ANSWERING', from: 'promoting', to: 'draining' }));
      yield* emit(transition(drained, { actor: 'supervisor', event: 'SLOT_DRAINED', from: 'draining', to: 'serving' }));
      now = drained;
    } else {
      // Mostly in order; some late within the window, a few older than it.
      const late = rng();
      const ts =
        late < 0.05 ? now - intBetween(rng, 0, windowMs - 60_000) : late < 0.06 ? now - windowMs - intBetween(rng, 60_000, windowMs) : now;
      const count = intBetween(rng, 1, 50);
      const sumMs = Math.round(count * (0.5 + rng() * 20) * 1000) / 1000;
      yield* emit(
        JSON.stringify({
          level: 30,
          ts: new Date(ts).toISOString(),
          route: 'GET /recommend/:id/:n',
          count,
          sumMs,
          maxMs: sumMs,
          kind: 'queries',
        }),
      );
    }
  }
}
